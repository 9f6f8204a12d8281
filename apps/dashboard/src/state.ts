import { CHANNEL_METRIC_SORT_FIELDS, USER_METRIC_SORT_FIELDS } from '../../../libs/metrics/src/queries/sorting';

/**
 * What is on screen lives in the page's query string, so a view can be bookmarked and shared.
 * The token never does: it stays in sessionStorage.
 */
export const VIEWS = ['overview', 'channels', 'channel', 'members', 'member', 'when', 'retention', 'audience'] as const;
export type View = (typeof VIEWS)[number];
export const PRESET_DAYS = [7, 30, 90, 365] as const;
export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

// The API's own lists, so a sort the page offers is one the API takes.
export const CHANNEL_SORTS = CHANNEL_METRIC_SORT_FIELDS;
export const MEMBER_SORTS = USER_METRIC_SORT_FIELDS;
const DEFAULT_SORT = '-messages';
const DEFAULT_DAYS = 30;
const MAX_RANGE_DAYS = 366;
/** Rows a table shows first; "Show more" adds as many again, up to the API's limit. */
export const TABLE_PAGE_ROWS = 50;
export const MAX_TABLE_ROWS = 1000;

export interface ViewState {
  view: View;
  team?: string;
  /** A preset: the last N days up to today in METRICS_TIMEZONE. Absent for a custom range. */
  days?: number;
  from?: string;
  to?: string;
  granularity: Granularity;
  sort: string;
  /** Rows of the channels or members table on screen. */
  rows: number;
  /** The channel or member of a page of its own. */
  id?: string;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const SLACK_ID = /^[A-Za-z0-9_-]{1,64}$/;

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((item) => item === value);
}

function validDay(value: string | null): string | undefined {
  return value && ISO_DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : undefined;
}

/** Reads a query string; anything malformed falls back to the default instead of breaking the page. */
export function parseState(search: string): ViewState {
  const query = new URLSearchParams(search);
  const view = oneOf(query.get('view'), VIEWS) ?? 'overview';
  const id = SLACK_ID.test(query.get('id') ?? '') ? (query.get('id') as string) : undefined;
  const from = validDay(query.get('from'));
  const to = validDay(query.get('to'));
  const custom = from && to && from <= to && daysBetween(from, to) <= MAX_RANGE_DAYS;
  const days = PRESET_DAYS.find((preset) => String(preset) === query.get('days')) ?? DEFAULT_DAYS;
  const sorts = view === 'members' ? MEMBER_SORTS : CHANNEL_SORTS;
  const sortQuery = query.get('sort') ?? '';
  const sort = oneOf(sortQuery.replace(/^-/, ''), sorts) ? sortQuery : DEFAULT_SORT;
  const rowsQuery = Number(query.get('rows'));
  const rows = Number.isInteger(rowsQuery) && rowsQuery >= 1 && rowsQuery <= MAX_TABLE_ROWS ? rowsQuery : TABLE_PAGE_ROWS;
  return {
    view: (view === 'channel' || view === 'member') && !id ? 'overview' : view,
    team: SLACK_ID.test(query.get('team') ?? '') ? (query.get('team') as string) : undefined,
    ...(custom ? { from, to } : { days }),
    granularity: oneOf(query.get('granularity'), GRANULARITIES) ?? 'day',
    sort,
    rows,
    id,
  };
}

export function serializeState(state: ViewState): string {
  const query = new URLSearchParams();
  if (state.view !== 'overview') query.set('view', state.view);
  if (state.id && (state.view === 'channel' || state.view === 'member')) query.set('id', state.id);
  if (state.team) query.set('team', state.team);
  if (state.days) {
    if (state.days !== DEFAULT_DAYS) query.set('days', String(state.days));
  } else if (state.from && state.to) {
    query.set('from', state.from);
    query.set('to', state.to);
  }
  if (state.granularity !== 'day') query.set('granularity', state.granularity);
  const table = state.view === 'channels' || state.view === 'members';
  if (state.sort !== DEFAULT_SORT && table) query.set('sort', state.sort);
  if (state.rows !== TABLE_PAGE_ROWS && table) query.set('rows', String(state.rows));
  const text = query.toString();
  return text ? `?${text}` : '';
}

export function addDays(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * 86_400_000).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

export interface DayRange {
  from: string;
  to: string;
}

/** The range on screen: a preset ends today in the API's zone. */
export function rangeOf(state: ViewState, today: string): DayRange {
  if (!state.days && state.from && state.to) return { from: state.from, to: state.to };
  const days = state.days ?? DEFAULT_DAYS;
  return { from: addDays(today, -(days - 1)), to: today };
}

/** The range of equal length just before, for the change shown on each headline number. */
export function previousRange({ from, to }: DayRange): DayRange {
  const length = daysBetween(from, to);
  return { from: addDays(from, -length), to: addDays(from, -1) };
}
