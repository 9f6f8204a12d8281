/** Numbers as people read them, in the reader's own locale. */
const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, signDisplay: 'exceptZero' });

export function count(value: number): string {
  return counts.format(value);
}

const shares = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });

/** A fraction of 1 as a whole percentage: `0.25` is `25%`. */
export function share(fraction: number): string {
  return shares.format(fraction);
}

/** `45 s`, `12 m 5 s`, `1 h 12 m`, `3 d 4 h`: two units at most; `—` when there is none. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const whole = Math.round(seconds);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const first = units.findIndex(([, size]) => whole >= size);
  if (first === -1) return '0 s';
  const [bigName, bigSize] = units[first];
  const big = Math.floor(whole / bigSize);
  const next = units[first + 1];
  const small = next ? Math.floor((whole % bigSize) / next[1]) : 0;
  return next && small > 0 ? `${big} ${bigName} ${small} ${next[0]}` : `${big} ${bigName}`;
}

/** Against the previous range: `+12 %`, `−3 %`, `new`, or `no change`. */
export function change(current: number, previous: number): { text: string; direction: 'up' | 'down' | 'same' } {
  if (current === previous) return { text: 'no change', direction: 'same' };
  if (previous === 0) return { text: 'new', direction: 'up' };
  const ratio = ((current - previous) / previous) * 100;
  return { text: `${percent.format(ratio)} %`, direction: current > previous ? 'up' : 'down' };
}

const shortDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
const longDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const monthOnly = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A period's label from its first day (calendar days, so formatted in UTC). */
export function periodLabel(day: string, granularity: 'day' | 'week' | 'month' = 'day'): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (granularity === 'month') return monthOnly.format(date);
  return granularity === 'week' ? `week of ${shortDay.format(date)}` : shortDay.format(date);
}

export function dayLabel(day: string): string {
  return longDay.format(new Date(`${day}T00:00:00Z`));
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function ago(instant: string, now = Date.now()): string {
  const minutes = Math.round((Date.parse(instant) - now) / 60_000);
  if (Math.abs(minutes) < 60) return relative.format(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return relative.format(hours, 'hour');
  return relative.format(Math.round(hours / 24), 'day');
}

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
