import { FIRST_DAY } from '@app/db';
import { DayRange, addDays, canAddDays, dayInZone, dayRangeProblem } from '@app/metrics';
import { BadRequestException } from '@nestjs/common';
import { DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS } from './query.dto';

/**
 * The inclusive day range of a request: `to` defaults to today in the
 * metrics time zone, `from` to 29 days before `to`. A default obeys the rule
 * of a given day: a supported day, or the request is refused.
 */
export function resolveRange(query: { from?: string; to?: string }, timeZone: string, now = new Date()): DayRange {
  const to = query.to ?? (query.from ? laterOf(query.from, dayInZone(now, timeZone)) : dayInZone(now, timeZone));
  if (query.from === undefined && !canAddDays(to, -(DEFAULT_RANGE_DAYS - 1))) {
    throw new BadRequestException(
      `from defaults to ${DEFAULT_RANGE_DAYS - 1} days before to (${to}), which is before the first supported day, ${FIRST_DAY}; give from`,
    );
  }
  const from = query.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  const problem = dayRangeProblem(from, to, MAX_RANGE_DAYS);
  if (problem) throw new BadRequestException(problem);
  return { from, to };
}

/** With only `from` given, `to` is today, or `from` itself when `from` is in the future. */
function laterOf(a: string, b: string): string {
  return a > b ? a : b;
}
