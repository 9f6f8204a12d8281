import { DataSource } from 'typeorm';
import { seededRandom } from '../../apps/worker/src/demo/seeded-random';

/**
 * A small but nasty workspace, inserted as raw rows. Two parts:
 *  - a hand-made "quiet day" (2025-02-20 in Asia/Tokyo) holding every edge of
 *    the metric definitions, so a few numbers can be checked by hand;
 *  - 45 generated days (2025-03-01..04-14) of uneven activity, threads with
 *    replies on later days and reactions on older messages, for the windows.
 * Every timestamp is UTC; the tests aggregate in Asia/Tokyo (UTC+9).
 */
export const TEAM = 'T1';
export const OTHER_TEAM = 'T2';
/** A Slack Connect partner's team: stored in no workspace here. */
export const EXTERNAL_TEAM = 'TPARTNER';
export const TIMEZONE = 'Asia/Tokyo';
export const QUIET_DAY = '2025-02-20';
export const GENERATED_FROM = '2025-03-01';
export const GENERATED_DAYS = 45;

export const USERS = [
  { id: 'UALICE', name: 'alice', isBot: false, isDeleted: false, team: TEAM, tz: 'Asia/Tokyo' },
  { id: 'UBOB', name: 'bob', isBot: false, isDeleted: false, team: TEAM, tz: 'Europe/Berlin' },
  { id: 'UCAROL', name: 'carol', isBot: false, isDeleted: false, team: TEAM, tz: 'Asia/Tokyo' },
  // No valid zone in the profile: stored as NULL.
  { id: 'UDAVE', name: 'dave', isBot: false, isDeleted: true, team: TEAM, tz: null },
  { id: 'UERIN', name: 'erin', isBot: false, isDeleted: false, team: TEAM, tz: 'America/New_York' },
  { id: 'UBOT', name: 'deploy-bot', isBot: true, isDeleted: false, team: TEAM, tz: 'Asia/Tokyo' },
  // Slack's users.json lists Slackbot with is_bot false; it is still a bot.
  { id: 'USLACKBOT', name: 'slackbot', isBot: false, isDeleted: false, team: TEAM, tz: 'America/Los_Angeles' },
  { id: 'UOTHER', name: 'other', isBot: false, isDeleted: false, team: OTHER_TEAM, tz: 'Europe/Berlin' },
  { id: 'UGUEST', name: 'guest', isBot: false, isDeleted: false, team: TEAM, tz: 'Europe/Berlin', restricted: true },
  { id: 'UULTRA', name: 'ultra', isBot: false, isDeleted: false, team: TEAM, tz: null, restricted: false, ultraRestricted: true },
  // A Slack Connect user listed by users.list, whose old collected messages carry no author team.
  { id: 'UPARTNER', name: 'partner', isBot: false, isDeleted: false, team: EXTERNAL_TEAM, tz: 'America/New_York' },
];
/** A Slack Connect author missing from users.json: only the messages' author team tells. */
export const VISITOR = 'UVISITOR';
/** Posts and reacts but is missing from users.json: counts as a human. */
export const GHOST = 'UGHOST';

export const CHANNELS = [
  { id: 'C1', team: TEAM, name: 'general', archived: false },
  { id: 'C2', team: TEAM, name: 'random', archived: false },
  { id: 'C3', team: TEAM, name: 'dev, "ops" & =sums', archived: true },
  { id: 'C4', team: TEAM, name: 'empty', archived: false },
  { id: 'C9', team: OTHER_TEAM, name: 'elsewhere', archived: false },
];

export interface Reaction {
  name: string;
  count: number;
  users: string[];
}

export interface FixtureMessage {
  channelId: string;
  ts: string;
  teamId: string;
  userId: string | null;
  botId?: string | null;
  threadTs?: string | null;
  subtype?: string | null;
  reactions?: Reaction[];
  deleted?: boolean;
  source?: 'collect' | 'events' | 'import';
  authorTeamId?: string | null;
}

let sequence = 0;
/** A unique Slack ts at an instant (microseconds keep messages of the same second apart). */
export function tsAt(iso: string): string {
  sequence += 1;
  return `${Math.floor(Date.parse(iso) / 1000)}.${String(sequence).padStart(6, '0')}`;
}

/** posted_at from ts to the microsecond, as PostgreSQL text. */
export function postedAtOf(ts: string): string {
  const [seconds, fraction] = ts.split('.');
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', `.${fraction}Z`);
}

export function reactionsOf(...entries: Array<[string, string[]]>): Reaction[] {
  return entries.map(([name, users]) => ({ name, count: users.length, users }));
}

export interface QuietDay {
  messages: FixtureMessage[];
  /** Bob's message at 23:30 UTC on the 19th: the 20th in Tokyo. */
  lateEvening: FixtureMessage;
  threadWithLateReplies: FixtureMessage;
  threadOnlyAuthorReplied: FixtureMessage;
  fileShare: FixtureMessage;
  ghostMessage: FixtureMessage;
}

export function quietDay(): QuietDay {
  type Fields = Omit<FixtureMessage, 'ts' | 'teamId' | 'channelId'> & { channelId?: string; teamId?: string };
  const m = (iso: string, fields: Fields): FixtureMessage => ({
    channelId: 'C1',
    teamId: TEAM,
    ts: tsAt(iso),
    ...fields,
  });
  const lateEvening = m('2025-02-19T23:30:00Z', {
    userId: 'UBOB',
    reactions: reactionsOf(['+1', ['UCAROL', 'UBOT', 'UDAVE']], ['tada', ['UCAROL']]),
  });
  const threadWithLateReplies = m('2025-02-20T00:00:00Z', { userId: 'UALICE' });
  const threadOnlyAuthorReplied = m('2025-02-20T02:30:00Z', { userId: 'UBOB' });
  const deletedParent = m('2025-02-20T06:30:00Z', { userId: 'UCAROL', deleted: true });
  const fileShare = m('2025-02-20T08:00:00Z', { userId: 'UBOB', subtype: 'file_share' });
  const ghostMessage = m('2025-02-20T05:00:00Z', { userId: GHOST });
  const reply = (parent: FixtureMessage, iso: string, fields: Fields) =>
    m(iso, { ...fields, channelId: parent.channelId, threadTs: parent.ts });
  threadWithLateReplies.threadTs = threadWithLateReplies.ts;
  threadOnlyAuthorReplied.threadTs = threadOnlyAuthorReplied.ts;
  deletedParent.threadTs = deletedParent.ts;

  const messages = [
    lateEvening,
    m('2025-02-20T01:00:00Z', { userId: 'UALICE', botId: 'BALICEAPP' }),
    m('2025-02-20T02:00:00Z', { userId: 'UBOT' }),
    m('2025-02-20T03:00:00Z', { userId: 'USLACKBOT' }),
    m('2025-02-20T04:00:00Z', { userId: null, botId: 'BWEBHOOK', subtype: 'bot_message' }),
    ghostMessage,
    m('2025-02-20T06:00:00Z', { userId: 'UCAROL', subtype: 'channel_join' }),
    m('2025-02-20T06:10:00Z', { userId: 'UCAROL', subtype: 'channel_topic' }),
    m('2025-02-20T07:00:00Z', { userId: 'UDAVE', deleted: true, reactions: reactionsOf(['eyes', ['UCAROL']]) }),
    fileShare,
    m('2025-02-20T08:30:00Z', { userId: 'UBOB', subtype: 'me_message' }),
    threadWithLateReplies,
    reply(threadWithLateReplies, '2025-02-20T00:10:00Z', { userId: 'UALICE' }),
    reply(threadWithLateReplies, '2025-02-20T00:20:00Z', { userId: 'UBOT' }),
    reply(threadWithLateReplies, '2025-02-20T00:30:00Z', { userId: 'UBOB', deleted: true }),
    reply(threadWithLateReplies, '2025-02-21T01:00:00Z', { userId: 'UBOB' }),
    reply(threadWithLateReplies, '2025-02-21T02:00:00Z', { userId: GHOST, subtype: 'thread_broadcast' }),
    reply(threadWithLateReplies, '2025-02-22T00:00:00Z', { userId: 'UCAROL' }),
    threadOnlyAuthorReplied,
    reply(threadOnlyAuthorReplied, '2025-02-20T03:30:00Z', { userId: 'UBOB' }),
    deletedParent,
    reply(deletedParent, '2025-02-20T06:40:00Z', { userId: 'UALICE' }),
    // The other workspace, same day: must never leak into T1's numbers.
    m('2025-02-20T01:00:00Z', { channelId: 'C9', teamId: OTHER_TEAM, userId: 'UOTHER' }),
  ];
  return { messages, lateEvening, threadWithLateReplies, threadOnlyAuthorReplied, fileShare, ghostMessage };
}

const POSTERS: Array<[string, number]> = [
  ['UALICE', 5],
  ['UBOB', 3],
  ['UCAROL', 2],
  ['UERIN', 1],
  [GHOST, 0.5],
  ['UBOT', 1],
  ['UGUEST', 1],
  ['UULTRA', 0.5],
  ['UPARTNER', 1],
  [VISITOR, 0.5],
];
const REACTORS = ['UALICE', 'UBOB', 'UCAROL', 'UDAVE', 'UERIN', 'UBOT', GHOST, 'USLACKBOT', 'UGUEST', 'UPARTNER'];

/** 45 days of uneven activity in C1..C3 with threads and reactions spanning days. */
export function generatedDays(): FixtureMessage[] {
  const next = seededRandom(20250301);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const weighted = (entries: Array<[string, number]>) => {
    let roll = next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [value, weight] of entries) if ((roll -= weight) < 0) return value;
    return entries[entries.length - 1][0];
  };
  const messages: FixtureMessage[] = [];
  const parents: FixtureMessage[] = [];
  const start = Date.parse(`${GENERATED_FROM}T00:00:00Z`);
  for (let day = 0; day < GENERATED_DAYS; day++) {
    // Some days are quiet, so WAU/MAU windows are more than a sum of busy days.
    const count = day % 9 === 4 ? 0 : 3 + Math.floor(next() * 8);
    for (let index = 0; index < count; index++) {
      const at = new Date(start + day * 86_400_000 + Math.floor(next() * 86_400) * 1000).toISOString();
      const userId = weighted(POSTERS);
      const recent = parents.filter(
        (parent) => Number(parent.ts) * 1000 > Date.parse(at) - 4 * 86_400_000 && Number(parent.ts) * 1000 < Date.parse(at),
      );
      const asReply = recent.length > 0 && next() < 0.35;
      const parent = asReply ? pick(recent) : undefined;
      const channelId =
        parent?.channelId ??
        weighted([
          ['C1', 5],
          ['C2', 3],
          ['C3', 1],
        ]);
      const message: FixtureMessage = {
        channelId,
        teamId: TEAM,
        ts: tsAt(at),
        userId,
        threadTs: parent?.ts ?? null,
        subtype: next() < 0.05 ? 'channel_join' : next() < 0.05 ? 'file_share' : null,
        botId: userId === 'UBOT' ? 'BDEPLOY' : null,
        deleted: next() < 0.03,
        // Newer rows carry the author's team; the partner's older ones do not.
        authorTeamId: userId === VISITOR ? EXTERNAL_TEAM : userId === 'UPARTNER' ? null : day % 2 === 0 ? TEAM : null,
      };
      if (next() < 0.4) {
        const who = [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(REACTORS)))];
        message.reactions = reactionsOf(['+1', who], ...(next() < 0.3 ? [['heart', [pick(REACTORS)]] as [string, string[]]] : []));
      }
      if (!parent && next() < 0.4) {
        message.threadTs = message.ts;
        parents.push(message);
      }
      messages.push(message);
    }
  }
  return messages;
}

export async function insertWorkspace(dataSource: DataSource): Promise<void> {
  await dataSource.query(`INSERT INTO workspaces (id, name, domain) VALUES ($1, 'Acme', 'acme'), ($2, 'Other', 'other')`, [
    TEAM,
    OTHER_TEAM,
  ]);
  for (const channel of CHANNELS) {
    await dataSource.query(`INSERT INTO channels (id, team_id, name, is_archived, member_count) VALUES ($1, $2, $3, $4, 7)`, [
      channel.id,
      channel.team,
      channel.name,
      channel.archived,
    ]);
  }
  for (const user of USERS) {
    await dataSource.query(
      `INSERT INTO users (id, team_id, name, real_name, is_bot, is_deleted, tz, is_restricted, is_ultra_restricted)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        user.id,
        user.team,
        user.name,
        user.name.toUpperCase(),
        user.isBot,
        user.isDeleted,
        user.tz,
        'restricted' in user ? user.restricted : false,
        'ultraRestricted' in user ? user.ultraRestricted : false,
      ],
    );
  }
}

/** Inserts messages as an ingestion writer would (updated_at = now()). */
export async function insertMessages(dataSource: DataSource, messages: FixtureMessage[]): Promise<void> {
  for (const message of messages) {
    const reactions = message.reactions ?? [];
    await dataSource.query(
      `INSERT INTO messages (channel_id, ts, team_id, user_id, bot_id, thread_ts, subtype, posted_at, is_bot, reply_count,
                             reaction_count, reactions, reactors, deleted_at, source, author_team_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13, $14, $15)`,
      [
        message.channelId,
        message.ts,
        message.teamId,
        message.userId,
        message.botId ?? null,
        message.threadTs ?? null,
        message.subtype ?? null,
        postedAtOf(message.ts),
        message.subtype === 'bot_message' || Boolean(message.botId),
        reactions.reduce((sum, reaction) => sum + reaction.count, 0),
        JSON.stringify(reactions),
        [...new Set(reactions.flatMap((reaction) => reaction.users))],
        message.deleted ? postedAtOf(message.ts) : null,
        message.source ?? 'collect',
        message.authorTeamId ?? null,
      ],
    );
  }
}
