import { withReactionAdded, withReactionRemoved } from './activity-store';
import { compareTs, messageRecord, newestTs, normaliseReactions, timestampOfTs } from './records';

describe('Slack ts', () => {
  it('compares numerically, not as text', () => {
    expect(compareTs('999999999.000100', '1000000000.000001')).toBeLessThan(0);
    expect(compareTs('1700000000.000200', '1700000000.000100')).toBeGreaterThan(0);
    expect(compareTs('1700000000.1', '1700000000.100000')).toBe(0);
    expect(newestTs(['1700000000.000100', null, '1700000001.000001', 'garbage'])).toBe('1700000001.000001');
  });

  it('converts to the microsecond, in UTC, the way every writer stores posted_at', () => {
    expect(timestampOfTs('1700000000.000100')).toBe('2023-11-14T22:13:20.000100Z');
    expect(timestampOfTs('1709510399.999999')).toBe('2024-03-03T23:59:59.999999Z');
    expect(timestampOfTs('1709510400.000001')).toBe('2024-03-04T00:00:00.000001Z');
  });
});

describe('messageRecord', () => {
  const context = { teamId: 'T1', channelId: 'C1', storeText: false };

  it('keeps the raw facts and drops the text unless asked to keep it', () => {
    const message = {
      ts: '1700000000.000100',
      user: 'U1',
      text: 'secret plans',
      thread_ts: '1700000000.000100',
      reply_count: 2,
      latest_reply: '1700000100.000100',
      files: [{}, {}],
      edited: { ts: '1700000050.000100' },
      reactions: [{ name: 'tada', count: 3, users: ['U2', 'U3'] }],
    };
    expect(messageRecord(message, context)).toEqual({
      channelId: 'C1',
      ts: '1700000000.000100',
      teamId: 'T1',
      userId: 'U1',
      botId: null,
      threadTs: '1700000000.000100',
      subtype: null,
      isBot: false,
      replyCount: 2,
      latestReplyTs: '1700000100.000100',
      reactions: [{ name: 'tada', count: 3, users: ['U2', 'U3'] }],
      fileCount: 2,
      text: null,
      editedTs: '1700000050.000100',
    });
    expect(messageRecord(message, { ...context, storeText: true })?.text).toBe('secret plans');
  });

  it('marks bot messages by their own marks only, and refuses a message without a usable ts', () => {
    expect(messageRecord({ ts: '1.000001', subtype: 'bot_message' }, context)?.isBot).toBe(true);
    expect(messageRecord({ ts: '1.000001', user: 'U1', bot_id: 'B1' }, context)?.isBot).toBe(true);
    expect(messageRecord({ ts: '1.000001', user: 'USLACKBOT' }, context)?.isBot).toBe(false);
    expect(messageRecord({ ts: 'yesterday' }, context)).toBeUndefined();
    expect(messageRecord({ user: 'U1' }, context)).toBeUndefined();
  });

  it('merges repeated emoji and drops malformed reactions', () => {
    expect(
      normaliseReactions([
        { name: 'tada', count: 1, users: ['U1'] },
        { name: 'tada', count: 2, users: ['U1', 'U2'] },
        { count: 4 },
        { name: 'eyes', count: 0, users: [] },
        { name: 'fire', users: ['U3'] },
      ]),
    ).toEqual([
      { name: 'tada', count: 3, users: ['U1', 'U2'] },
      { name: 'fire', count: 1, users: ['U3'] },
    ]);
  });
});

describe('reaction changes', () => {
  const reactions = [
    { name: 'tada', count: 2, users: ['U1', 'U2'] },
    // Slack lists fewer users than it counts on busy messages.
    { name: 'eyes', count: 5, users: ['U1'] },
  ];

  it('adds a user once', () => {
    expect(withReactionAdded(reactions, 'tada', 'U3')).toEqual([{ name: 'tada', count: 3, users: ['U1', 'U2', 'U3'] }, reactions[1]]);
    expect(withReactionAdded(reactions, 'tada', 'U1')).toBeUndefined();
    expect(withReactionAdded([], 'fire', 'U1')).toEqual([{ name: 'fire', count: 1, users: ['U1'] }]);
  });

  it('removes a listed user, an unlisted one only from a count beyond its listed users, and drops emptied emoji', () => {
    expect(withReactionRemoved(reactions, 'tada', 'U2')).toEqual([{ name: 'tada', count: 1, users: ['U1'] }, reactions[1]]);
    expect(withReactionRemoved(reactions, 'tada', 'U9')).toBeUndefined();
    expect(withReactionRemoved(reactions, 'eyes', 'U9')).toEqual([reactions[0], { name: 'eyes', count: 4, users: ['U1'] }]);
    expect(withReactionRemoved([{ name: 'fire', count: 1, users: ['U1'] }], 'fire', 'U1')).toEqual([]);
    expect(withReactionRemoved(reactions, 'fire', 'U1')).toBeUndefined();
  });
});
