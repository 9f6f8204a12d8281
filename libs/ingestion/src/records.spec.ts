import { withReactionAdded, withReactionRemoved } from './store/activity-store';
import {
  channelRecord,
  compareTs,
  InvalidRecordError,
  isSlackTs,
  MAX_STORED_COUNT,
  messageRecord,
  newestTs,
  normaliseReactions,
  reactionCount,
  readMessage,
  requireSlackId,
  storableTimeZone,
  timestampOfTs,
  userRecord,
} from './records';

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
      authorTeamId: null,
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

  it("keeps the author's team: user_team, else source_team, unknown when neither is a Slack id", () => {
    const shared = { ts: '1700000000.000001', user: 'U9' };
    expect(messageRecord({ ...shared, user_team: 'T9', source_team: 'T1' }, context)?.authorTeamId).toBe('T9');
    expect(messageRecord({ ...shared, source_team: 'T9' }, context)?.authorTeamId).toBe('T9');
    expect(messageRecord({ ...shared, user_team: 'T\u00009', source_team: 'T9' }, context)?.authorTeamId).toBe('T9');
    expect(messageRecord({ ...shared, user_team: 'T'.repeat(65) }, context)?.authorTeamId).toBeNull();
    expect(messageRecord({ ...shared, user_team: ['T9'] } as never, context)?.authorTeamId).toBeNull();
    // The message itself stays: its team is unknown, not a reason to refuse it.
    expect(messageRecord({ ...shared, user_team: 7 } as never, context)).toMatchObject({ userId: 'U9', authorTeamId: null });
  });

  it('marks bot messages by their own marks only, and refuses a message without a usable ts', () => {
    expect(messageRecord({ ts: '1700000000.000001', subtype: 'bot_message' }, context)?.isBot).toBe(true);
    expect(messageRecord({ ts: '1700000000.000001', user: 'U1', bot_id: 'B1' }, context)?.isBot).toBe(true);
    expect(messageRecord({ ts: '1700000000.000001', user: 'USLACKBOT' }, context)?.isBot).toBe(false);
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

describe('values a row can hold', () => {
  const context = { teamId: 'T1', channelId: 'C1', storeText: true };
  const message = { ts: '1700000000.000100', user: 'U1' };

  it('takes a ts only for a time whose days, in any zone and 27 days on, are supported days', () => {
    expect(['86400.000000', '1700000000.1', '1700000000.000100', '253399795199.999999'].every(isSlackTs)).toBe(true);
    expect(
      [
        '86399.999999',
        '253399795200.000000',
        // past year 9999, and 20 digits
        '253402300800.000000',
        '12345678901234567890.000001',
        '01700000000.000100',
        '1700000000.0001000',
        '1700000000',
        1700000000.0001,
      ].some(isSlackTs),
    ).toBe(false);
    expect(readMessage({ ...message, ts: '99999999999999999999.000000' }, context)).toBe('no valid ts');
    expect(
      readMessage({ ...message, thread_ts: '253402300800.000000', edited: { ts: '1e300' }, latest_reply: 'x' }, context),
    ).toMatchObject({
      threadTs: null,
      editedTs: null,
      latestReplyTs: null,
    });
  });

  it('refuses a message whose author, bot, channel or workspace id is not a Slack id', () => {
    expect(readMessage({ ...message, user: 'U1\u0000' }, context)).toBe('invalid id');
    expect(readMessage({ ...message, bot_id: 'B'.repeat(65) }, context)).toBe('invalid id');
    expect(readMessage(message, { ...context, channelId: 'C'.repeat(100_000) })).toBe('invalid id');
    expect(readMessage(message, { ...context, teamId: 'T 1' })).toBe('invalid id');
    expect(readMessage({ ...message, user: ['U1'] } as never, context)).toBe('invalid id');
  });

  it('clamps counts to what an integer column holds and drops NUL from text', () => {
    const record = readMessage(
      {
        ...message,
        subtype: 'file\u0000_share',
        text: 'a\u0000b',
        reply_count: 3e9,
        reactions: [
          { name: 'tada', count: 1e12, users: ['U2', 'U\u00003', 'U'.repeat(65)] },
          { name: 'eyes', count: 2_000_000_000 },
          { name: 'fi\u0000re', count: 1.5, users: ['U4'] },
        ],
      },
      context,
    );
    expect(record).toMatchObject({
      subtype: 'file_share',
      text: 'ab',
      replyCount: MAX_STORED_COUNT,
      reactions: [
        { name: 'tada', count: MAX_STORED_COUNT, users: ['U2'] },
        { name: 'eyes', count: 2_000_000_000, users: [] },
        { name: 'fire', count: 1, users: ['U4'] },
      ],
    });
    expect(reactionCount(typeof record === 'string' ? [] : record.reactions)).toBe(MAX_STORED_COUNT);
    expect(readMessage({ ...message, reply_count: 1e12 }, context)).toMatchObject({ replyCount: MAX_STORED_COUNT });
    expect(readMessage({ ...message, reply_count: -1 }, context)).toMatchObject({ replyCount: 0 });
    expect(
      normaliseReactions([
        { name: 'tada', count: 2e9 },
        { name: 'tada', count: 2e9 },
      ]),
    ).toEqual([{ name: 'tada', count: MAX_STORED_COUNT, users: [] }]);
  });

  it('keeps of a channel and a user only values their columns can hold', () => {
    expect(channelRecord({ id: 'C1', name: 'gen\u0000eral', created: 1e300, num_members: -5 }, 'T1')).toMatchObject({
      name: 'general',
      created: null,
      memberCount: null,
    });
    expect(channelRecord({ id: 'C1', created: 1_500_000_000, num_members: 1.5, members: ['U1', 'U2'] }, 'T1')).toMatchObject({
      created: 1_500_000_000,
      memberCount: 2,
    });
    expect(channelRecord({ id: 'C1', num_members: 1e12 }, 'T1').memberCount).toBe(MAX_STORED_COUNT);
    expect(channelRecord({ id: 'C1', name: 'n'.repeat(256) }, 'T1').name).toBeNull();
    const user = { id: 'U1', team_id: 'T\u00001', name: 'al\u0000ice', real_name: ['Alice'], profile: { real_name: 'Alice A.' }, tz: 7 };
    expect(userRecord(user as never, 'T1')).toMatchObject({ teamId: 'T1', name: 'alice', realName: 'Alice A.', tz: null });
  });

  it("keeps a user's own team, guest flags and an IANA time zone; unknown for anything else", () => {
    const guest = { id: 'U2', team_id: 'T2', is_restricted: true, is_ultra_restricted: false, tz: 'America/Argentina/Buenos_Aires' };
    expect(userRecord(guest, 'T1')).toMatchObject({
      teamId: 'T2',
      isRestricted: true,
      isUltraRestricted: false,
      tz: 'America/Argentina/Buenos_Aires',
    });
    expect(userRecord({ id: 'U3' }, 'T1')).toMatchObject({ teamId: 'T1', isRestricted: null, isUltraRestricted: null, tz: null });
    expect(userRecord({ id: 'U3', is_restricted: 'yes', is_ultra_restricted: 1 } as never, 'T1')).toMatchObject({
      isRestricted: null,
      isUltraRestricted: null,
    });
    for (const tz of ['UTC', 'Europe/Berlin', 'Etc/GMT+5', 'Asia/Calcutta']) expect(storableTimeZone(tz)).toBe(tz);
    for (const tz of ['', 'Mars/Olympus_Mons', '+01:00', 'Europe/Berlin\u0000', '../../etc/passwd', 'Europe/' + 'x'.repeat(100), ['UTC']]) {
      expect(storableTimeZone(tz)).toBeNull();
    }
  });

  it('names the field and quotes only the start of an id that is not a Slack id', () => {
    expect(requireSlackId('T0123', 'workspace id')).toBe('T0123');
    expect(() => requireSlackId('T'.repeat(100_000), 'workspace id')).toThrow(
      new InvalidRecordError(
        'workspace id "TTTTTTTTTTTTTTTTTTTTTTTT" (100000 characters) is not a Slack id (letters, digits, _ or -, at most 64)',
      ),
    );
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
