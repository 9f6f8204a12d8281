import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './processes';

export const TOOLS_BIN = join(REPO_ROOT, '.tools/bin');
export const CHART_DIR = join(REPO_ROOT, 'charts/slack-metrics');

/** A pinned tool from .tools/bin, which `make tools` installs before the tests run. */
export function tool(name: string): string {
  const path = join(TOOLS_BIN, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make tools\` first`);
  return path;
}

export type Manifest = { kind: string; metadata: { name: string }; [key: string]: unknown };

/** Renders the chart with the real helm binary and parses every document. */
export function renderChart(args: string[]): Manifest[] {
  const output = execFileSync(tool('helm'), ['template', 'slack-metrics', CHART_DIR, ...args], { encoding: 'utf8' });
  return parseAllDocuments(output)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}
