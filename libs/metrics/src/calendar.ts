import { FIRST_DAY, LAST_DAY } from '@app/db';

/**
 * Calendar days as ISO `YYYY-MM-DD` strings, within the supported days
 * (FIRST_DAY..LAST_DAY). Arithmetic is done on day numbers (days since
 * 1970-01-01, UTC midnights), which is exact for whole days whatever
 * METRICS_TIMEZONE is: the zone only decides which day a message falls on,
 * never how days follow. A day outside the supported ones is never returned:
 * arithmetic that would reach one throws a RangeError naming it.
 */
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a YYYY-MM-DD day. */
function dayNumber(day: string): number {
  const match = ISO_DAY.exec(day);
  if (!match) throw new RangeError(`${JSON.stringify(day)} is not a day written YYYY-MM-DD`);
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, takes years 0–99 as they are.
  date.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Math.round(date.getTime() / DAY_MS);
}

const FIRST_DAY_NUMBER = dayNumber(FIRST_DAY);
const LAST_DAY_NUMBER = dayNumber(LAST_DAY);

/** The YYYY-MM-DD day of a day number within the supported days. */
function dayOfNumber(number: number): string {
  if (!(number >= FIRST_DAY_NUMBER && number <= LAST_DAY_NUMBER)) {
    throw new RangeError(
      `the day ${Number.isFinite(number) ? number : 'computed'} days after 1970-01-01 is outside ${FIRST_DAY}..${LAST_DAY}`,
    );
  }
  return new Date(number * DAY_MS).toISOString().slice(0, 10);
}

/** True for a real calendar date written as YYYY-MM-DD (2024-02-30 is not one) within FIRST_DAY..LAST_DAY. */
export function isIsoDay(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_DAY.test(value)) return false;
  const number = dayNumber(value);
  return number >= FIRST_DAY_NUMBER && number <= LAST_DAY_NUMBER && dayOfNumber(number) === value;
}

/** The day `count` days after `day`; a RangeError if that is not a supported day. */
export function addDays(day: string, count: number): string {
  const target = dayNumber(day) + count;
  if (target < FIRST_DAY_NUMBER || target > LAST_DAY_NUMBER) {
    throw new RangeError(`${count} days ${count < 0 ? 'before' : 'after'} ${day} is outside the supported days ${FIRST_DAY}..${LAST_DAY}`);
  }
  return dayOfNumber(target);
}

/** True when the day `count` days after `day` is a supported day. */
export function canAddDays(day: string, count: number): boolean {
  const target = dayNumber(day) + count;
  return target >= FIRST_DAY_NUMBER && target <= LAST_DAY_NUMBER;
}

/** Days from `from` to `to`, both included (1 for a single day). */
export function daysInclusive(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from) + 1;
}

/**
 * What is wrong with the days `from`..`to` (supported days) as a range of at
 * most `maxDays` days, if anything: the one rule of every range asked for,
 * of metrics and of aggregation runs alike.
 */
export function dayRangeProblem(from: string, to: string, maxDays = Infinity): string | undefined {
  if (to < from) return `to (${to}) is before from (${from})`;
  const days = daysInclusive(from, to);
  if (days > maxDays) return `the range ${from}..${to} spans ${days} days; the maximum is ${maxDays}`;
  return undefined;
}

/** The calendar day of an instant in an IANA time zone. */
export function dayInZone(instant: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** Every day from `from` to `to`, both included; counted on day numbers, so it ends whatever the days. */
export function eachDay(from: string, to: string): string[] {
  const days: string[] = [];
  for (let number = dayNumber(from), last = dayNumber(to); number <= last; number++) days.push(dayOfNumber(number));
  return days;
}
