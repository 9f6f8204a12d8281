/**
 * The notification channel on which a committed aggregation run announces
 * new rollups (the write side NOTIFYs, every RollupCache LISTENs), named in
 * one place for both.
 */
export const ROLLUPS_CHANGED_CHANNEL = 'metrics_rollups_changed';
