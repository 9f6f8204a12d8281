import { ensureSyntaxTree, syntaxTreeAvailable } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { LanguageType, promQLLanguage } from '@prometheus-io/codemirror-promql';
// The Prometheus UI's own checker of an expression's types (function arguments, operands). Its
// package exports only the editor extension at the root, so the checker is imported by its path.
import { Parser } from '@prometheus-io/codemirror-promql/dist/cjs/parser';
import { parser } from '@prometheus-io/lezer-promql';

const promql = promQLLanguage(LanguageType.PromQL);

export interface CheckedExpression {
  /** What makes the expression invalid PromQL: syntax errors, then type errors; empty when valid. */
  problems: string[];
  /** The metric names it selects. */
  metrics: string[];
}

/**
 * An editor state parses its document for a few milliseconds and leaves the rest for later, and
 * the type checker reads whatever tree the state holds: on a busy machine it would judge half an
 * expression. The whole expression is parsed first, and an empty transaction hands the finished
 * tree to the state.
 */
function parsedState(expression: string): EditorState {
  const created = EditorState.create({ doc: expression, extensions: promql });
  ensureSyntaxTree(created, expression.length, 60_000);
  const state = created.update({}).state;
  if (!syntaxTreeAvailable(state, expression.length)) throw new Error(`PromQL not parsed to its end: ${expression}`);
  return state;
}

/** Parses one expression with Prometheus' PromQL grammar and type checks it. */
export function checkPromql(expression: string): CheckedExpression {
  const problems: string[] = [];
  const metrics: string[] = [];
  parser.parse(expression).iterate({
    enter: (node) => {
      if (node.type.isError) problems.push(`syntax error at ${node.from}: ${JSON.stringify(expression.slice(node.from, node.from + 20))}`);
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier) metrics.push(expression.slice(identifier.from, identifier.to));
      }
    },
  });
  const typeChecker = new Parser(parsedState(expression));
  typeChecker.analyze();
  problems.push(...typeChecker.getDiagnostics().map((diagnostic) => diagnostic.message));
  return { problems, metrics };
}

/** Prometheus' duration format (prometheus/common's model.ParseDuration), which a rule's `for` takes. */
export function isPrometheusDuration(text: string): boolean {
  return text === '0' || (text !== '' && /^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/.test(text));
}
