import { parseState, previousRange, rangeOf, serializeState } from './state';

describe('dashboard view state in the URL', () => {
  it('reads back what it wrote, leaving defaults out', () => {
    const state = parseState('?view=channels&team=T1&from=2025-01-01&to=2025-01-31&granularity=week&sort=-firstReplyP90Seconds&rows=150');
    expect(state).toEqual({
      view: 'channels',
      team: 'T1',
      from: '2025-01-01',
      to: '2025-01-31',
      granularity: 'week',
      sort: '-firstReplyP90Seconds',
      rows: 150,
      id: undefined,
    });
    expect(parseState(serializeState(state))).toEqual(state);
    expect(serializeState(parseState(''))).toBe('');
  });

  it('falls back to the defaults for anything malformed', () => {
    expect(parseState('?view=nope&days=12&from=2025-02-30&to=2025-01-01&sort=DROP&granularity=hour&rows=1001&id=<x>')).toEqual({
      view: 'overview',
      team: undefined,
      days: 30,
      granularity: 'day',
      sort: '-messages',
      rows: 50,
      id: undefined,
    });
    // A channel page without a channel is the overview; a range over 366 days is no range.
    expect(parseState('?view=channel').view).toBe('overview');
    expect(parseState('?from=2024-01-01&to=2025-06-01').days).toBe(30);
  });

  it('ends a preset today and compares with the range of equal length before it', () => {
    const range = rangeOf(parseState('?days=7'), '2025-03-10');
    expect(range).toEqual({ from: '2025-03-04', to: '2025-03-10' });
    expect(previousRange(range)).toEqual({ from: '2025-02-25', to: '2025-03-03' });
  });
});
