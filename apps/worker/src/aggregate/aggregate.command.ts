import { DatabaseConnector, FIRST_DAY, LAST_DAY } from '@app/db';
import { aggregationRangeProblem, AggregationOutcome, AggregationService, isIsoDay } from '@app/metrics';
import { Logger } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { CommandError, refuseOption, UsageError } from '../command-errors';

interface AggregateOptions {
  from?: string;
  to?: string;
  full?: boolean;
  wait?: boolean;
}

function dayOption(option: string, value: string): string {
  if (!isIsoDay(value)) refuseOption(option, value, `a calendar date written YYYY-MM-DD from ${FIRST_DAY} to ${LAST_DAY}`);
  return value;
}

/** The options together: refused unless they name one way to run. */
function checkCombination(options: AggregateOptions): void {
  if (options.to && !options.from) throw new UsageError('--to needs --from');
  if (options.full && options.from) throw new UsageError('--full recomputes every day; leave out --from/--to');
  if (!options.from) return;
  const to = options.to ?? options.from;
  const problem = aggregationRangeProblem(options.from, to);
  if (problem) throw new UsageError(`--from ${options.from} --to ${to}: ${problem}`);
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
    return dayOption('--from', value);
  }

  @Option({ flags: '--to <day>', description: 'last day to recompute (default: --from)' })
  parseTo(value: string): string {
    return dayOption('--to', value);
  }

  @Option({
    flags: '--full',
    description: 'recompute every day (also done automatically on the first run and when METRICS_TIMEZONE changes)',
  })
  parseFull(): boolean {
    return true;
  }

  @Option({ flags: '--wait', description: 'wait for a run in progress to finish instead of exiting' })
  parseWait(): boolean {
    return true;
  }

  async run(_parameters: string[], options: AggregateOptions): Promise<void> {
    checkCombination(options);
    await this.connector.connect();
    const outcome = await this.aggregation.run({
      trigger: 'cli',
      full: options.full,
      from: options.from,
      to: options.to ?? options.from,
      waitForLock: options.wait,
    });
    reportOutcome(outcome, this.logger);
  }
}

/**
 * Logs a run skipped because another holds the lock (no failure); a failed
 * run is thrown as a CommandError.
 */
export function reportOutcome(outcome: AggregationOutcome, logger: Logger): void {
  if (outcome.status === 'skipped') logger.log(`${outcome.reason}; nothing to do`);
  if (outcome.status === 'failed') throw new CommandError(`aggregation run ${outcome.run.id} failed: ${outcome.run.error}`);
}
