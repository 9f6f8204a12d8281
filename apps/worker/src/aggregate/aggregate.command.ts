import { DatabaseConnector } from '@app/db';
import { FIRST_DAY, LAST_DAY } from '@app/db';
import { aggregationRangeProblem, AggregationOutcome, AggregationService, isIsoDay } from '@app/metrics';
import { Logger } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';

interface AggregateOptions {
  from?: string;
  to?: string;
  full?: boolean;
  wait?: boolean;
}

/** What is wrong with the options, if anything. */
export function aggregateOptionsProblem(options: AggregateOptions): string | undefined {
  for (const name of ['from', 'to'] as const) {
    const value = options[name];
    if (value !== undefined && !isIsoDay(value)) {
      return `--${name} must be a calendar date written YYYY-MM-DD from ${FIRST_DAY} to ${LAST_DAY}, not ${JSON.stringify(value)}`;
    }
  }
  if (options.to && !options.from) return '--to needs --from';
  if (options.full && options.from) return '--full recomputes every day; leave out --from/--to';
  if (!options.from) return undefined;
  const to = options.to ?? options.from;
  const problem = aggregationRangeProblem(options.from, to);
  return problem && `--from ${options.from} --to ${to}: ${problem}`;
}

@Command({
  name: 'aggregate',
  description:
    'roll raw activity up into the metrics tables: by default only the days touched since the last run (edits, deletions, ' +
    'late replies, reactions and imports included); once per cluster: exits 0 at once if another run holds the lock',
})
export class AggregateCommand extends CommandRunner {
  private readonly logger = new Logger('aggregate');

  constructor(
    private readonly connector: DatabaseConnector,
    private readonly aggregation: AggregationService,
  ) {
    super();
  }

  @Option({ flags: '--from <day>', description: 'recompute from this day (YYYY-MM-DD in METRICS_TIMEZONE), with --to or alone' })
  parseFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--to <day>', description: 'last day to recompute (default: --from)' })
  parseTo(value: string): string {
    return value;
  }

  @Option({ flags: '--full', description: 'recompute every day (also done automatically on the first run and when METRICS_TIMEZONE changes)' })
  parseFull(): boolean {
    return true;
  }

  @Option({ flags: '--wait', description: 'wait for a run in progress to finish instead of exiting' })
  parseWait(): boolean {
    return true;
  }

  async run(_parameters: string[], options: AggregateOptions): Promise<void> {
    const problem = aggregateOptionsProblem(options);
    if (problem) {
      this.logger.error(problem);
      process.exitCode = 1;
      return;
    }
    await this.connector.connect();
    const outcome = await this.aggregation.run({
      trigger: 'cli',
      full: options.full,
      from: options.from,
      to: options.to ?? options.from,
      waitForLock: options.wait,
    });
    if (!reportOutcome(outcome, this.logger)) process.exitCode = 1;
  }
}

/** Logs how a run ended; false when it failed (a run skipped because another holds the lock is no failure). */
export function reportOutcome(outcome: AggregationOutcome, logger: Logger): boolean {
  if (outcome.status === 'skipped') logger.log(`${outcome.reason}; nothing to do`);
  if (outcome.status !== 'failed') return true;
  logger.error(`aggregation run ${outcome.run.id} failed: ${outcome.run.error}`);
  return false;
}
