/**
 * The days the system accepts, stores and computes with. Every day it is
 * given (API and CLI dates) and every day it derives (a default `from`, the
 * DAU/WAU/MAU windows of an aggregation run, the day a message falls on) must
 * lie in them: Slack counts time in seconds since 1970, and after 9999 a day
 * can no longer be written YYYY-MM-DD.
 */
export const FIRST_DAY = '1970-01-01';
export const LAST_DAY = '9999-12-31';

/** A day's activity counts in the DAU/WAU/MAU of that day and the 27 after it. */
export const ACTIVITY_WINDOW_DAYS = 28;
