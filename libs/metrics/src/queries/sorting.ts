/**
 * `sort` values per list endpoint: a field name for ascending order, the same
 * with a leading `-` for descending. Nulls sort last either way; ties break
 * on the row's id so pages are stable.
 */
/** The per-channel figures, in the order the API and its CSV list them. */
export const CHANNEL_METRIC_FIELDS = [
  'messages',
  'humanMessages',
  'threadReplies',
  'threadsStarted',
  'reactions',
  'activePosters',
  'firstReplyP50Seconds',
  'firstReplyP90Seconds',
] as const;
export const CHANNEL_METRIC_SORT_FIELDS = ['name', ...CHANNEL_METRIC_FIELDS] as const;
export const USER_METRIC_SORT_FIELDS = ['name', 'messages', 'reactionsAdded', 'channelsActive', 'daysActive'] as const;

export type ChannelMetricSortField = (typeof CHANNEL_METRIC_SORT_FIELDS)[number];
export type UserMetricSortField = (typeof USER_METRIC_SORT_FIELDS)[number];

export function sortValues<T extends string>(fields: readonly T[]): Array<T | `-${T}`> {
  return fields.flatMap((field) => [field, `-${field}` as const]);
}

export const CHANNEL_METRIC_SORTS = sortValues(CHANNEL_METRIC_SORT_FIELDS);
export const USER_METRIC_SORTS = sortValues(USER_METRIC_SORT_FIELDS);
export type ChannelMetricSort = (typeof CHANNEL_METRIC_SORTS)[number];
export type UserMetricSort = (typeof USER_METRIC_SORTS)[number];

/** ORDER BY for a validated sort value over output columns named like the fields. */
export function orderBy(sort: string, tieBreaker: string): string {
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  if (!/^[A-Za-z0-9]+$/.test(field)) throw new Error(`not a sort field: ${sort}`);
  return `"${field}" ${descending ? 'DESC' : 'ASC'} NULLS LAST, ${tieBreaker} ASC`;
}
