/** Slack ids (T…, C…, U…, B…, Ev…) and anything shaped like them: the API's rule for ids, applied to every id written. */
export const SLACK_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isSlackId(value: unknown): value is string {
  return typeof value === 'string' && SLACK_ID_PATTERN.test(value);
}
