import { DataSource } from 'typeorm';

/**
 * An independent computation of every metric straight from raw rows, in
 * plain TypeScript, following docs/design.md's definitions word for word. It
 * shares no code with the production SQL.
 */
const MESSAGE_SUBTYPES = new Set(['thread_broadcast', 'file_share', 'me_message', 'bot_message']);

interface RawMessage {
  channelId: string;
  ts: string;
  teamId: string;
  userId: string | null;
  botId: string | null;
  threadTs: string | null;
  subtype: string | null;
  postedAt: Date;
  reactionCount: number;
  reactions: Array<{ name: string; count: number; users?: string[] }>;
  reactors: string[];
  deletedAt: Date | null;
  authorTeamId: string | null;
}

interface Profile {
  teamId: string | null;
  isRestricted: boolean | null;
  isUltraRestricted: boolean | null;
}

interface Derived extends RawMessage {
  day: string;
  hour: number;
  bot: boolean;
}

export type Granularity = 'day' | 'week' | 'month';

function addDays(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * 86_400_000).toISOString().slice(0, 10);
}

function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** First day of the period holding `day`: itself, its ISO week's Monday, or the 1st of its month. */
export function periodOf(day: string, granularity: Granularity): string {
  if (granularity === 'day') return day;
  if (granularity === 'month') return `${day.slice(0, 8)}01`;
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(day, -weekday);
}

function periodsOf(from: string, to: string, granularity: Granularity): string[] {
  return [...new Set(daysOf(from, to).map((day) => periodOf(day, granularity)))];
}

/** First day of the period after the one starting on `date`. */
function nextPeriod(date: string, granularity: Granularity): string {
  if (granularity === 'day') return addDays(date, 1);
  if (granularity === 'week') return addDays(date, 7);
  const [year, month] = date.split('-').map(Number);
  return month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

/** Linear interpolation between closest ranks, as PostgreSQL's percentile_cont, in whole milliseconds as the API reports it. */
function percentile(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return Math.round((sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower)) * 1000) / 1000;
}

/** Exact seconds between two Slack ts values. */
function secondsBetween(earlier: string, later: string): number {
  const micros = (ts: string) => {
    const [seconds, fraction = ''] = ts.split('.');
    return BigInt(seconds) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  };
  return Number(micros(later) - micros(earlier)) / 1e6;
}

interface Activity {
  userId: string;
  channelId: string;
  teamId: string;
  day: string;
  messages: number;
  reactionsAdded: number;
}

export class Reference {
  private constructor(
    private readonly messages: Derived[],
    private readonly channelNames: Map<string, string | null>,
    private readonly userNames: Map<string, { name: string | null; realName: string | null }>,
    private readonly userZones: Map<string, string | null>,
    private readonly profiles: Map<string, Profile>,
    private readonly botUsers: Set<string>,
  ) {}

  static async load(dataSource: DataSource, timeZone: string): Promise<Reference> {
    const rows: RawMessage[] = await dataSource.query(
      `SELECT channel_id AS "channelId", ts, team_id AS "teamId", user_id AS "userId", bot_id AS "botId", thread_ts AS "threadTs",
              subtype, posted_at AS "postedAt", reaction_count AS "reactionCount", reactions, reactors, deleted_at AS "deletedAt",
              author_team_id AS "authorTeamId"
       FROM messages`,
    );
    const users: Array<{ id: string; name: string | null; realName: string | null; isBot: boolean; tz: string | null } & Profile> =
      await dataSource.query(
        `SELECT id, name, real_name AS "realName", is_bot AS "isBot", tz, team_id AS "teamId",
                is_restricted AS "isRestricted", is_ultra_restricted AS "isUltraRestricted"
         FROM users`,
      );
    const channels: Array<{ id: string; name: string | null }> = await dataSource.query('SELECT id, name FROM channels');
    const botUsers = new Set(users.filter((user) => user.isBot).map((user) => user.id));
    botUsers.add('USLACKBOT');
    const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    const hourFormat = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
    const messages = rows
      .filter((row) => row.deletedAt === null && (row.subtype === null || MESSAGE_SUBTYPES.has(row.subtype)))
      .map((row) => ({
        ...row,
        day: dayFormat.format(row.postedAt),
        hour: Number(hourFormat.format(row.postedAt)),
        bot: row.subtype === 'bot_message' || row.botId !== null || (row.userId !== null && botUsers.has(row.userId)),
      }));
    return new Reference(
      messages,
      new Map(channels.map((channel) => [channel.id, channel.name])),
      new Map(users.map((user) => [user.id, { name: user.name, realName: user.realName }])),
      new Map(users.map((user) => [user.id, user.tz])),
      new Map(users.map((user) => [user.id, user])),
      botUsers,
    );
  }

  private isReply(message: RawMessage): boolean {
    return message.threadTs !== null && message.threadTs !== message.ts;
  }

  /** Threads started: top-level messages with at least one reply, with their first-reply seconds if any. */
  private threads(): Array<{ parent: Derived; firstReplySeconds: number | null }> {
    const repliesByParent = new Map<string, Derived[]>();
    for (const message of this.messages.filter((candidate) => this.isReply(candidate))) {
      const key = `${message.channelId}/${message.threadTs}`;
      repliesByParent.set(key, [...(repliesByParent.get(key) ?? []), message]);
    }
    return this.messages
      .filter((message) => !this.isReply(message) && repliesByParent.has(`${message.channelId}/${message.ts}`))
      .map((parent) => {
        const qualifying = repliesByParent
          .get(`${parent.channelId}/${parent.ts}`)!
          .filter((reply) => !reply.bot && reply.userId !== parent.userId)
          .sort((a, b) => secondsBetween(b.ts, a.ts));
        return { parent, firstReplySeconds: qualifying.length > 0 ? secondsBetween(parent.ts, qualifying[0].ts) : null };
      });
  }

  private activities(): Activity[] {
    const byKey = new Map<string, Activity>();
    const add = (userId: string, message: Derived, messages: number, reactionsAdded: number) => {
      if (this.botUsers.has(userId)) return;
      const key = `${userId}/${message.channelId}/${message.day}`;
      const entry = byKey.get(key) ?? {
        userId,
        channelId: message.channelId,
        teamId: message.teamId,
        day: message.day,
        messages: 0,
        reactionsAdded: 0,
      };
      entry.messages += messages;
      entry.reactionsAdded += reactionsAdded;
      byKey.set(key, entry);
    };
    for (const message of this.messages) {
      if (!message.bot && message.userId) add(message.userId, message, 1, 0);
      for (const reactor of message.reactors) add(reactor, message, 0, 0);
      for (const reaction of message.reactions) for (const user of reaction.users ?? []) add(user, message, 0, 1);
    }
    return [...byKey.values()];
  }

  private inRange(day: string, from: string, to: string): boolean {
    return day >= from && day <= to;
  }

  summary(teamId: string, from: string, to: string) {
    const messages = this.messages.filter((message) => message.teamId === teamId && this.inRange(message.day, from, to));
    return {
      messages: messages.length,
      humanMessages: messages.filter((message) => !message.bot).length,
      threadReplies: messages.filter((message) => this.isReply(message)).length,
      threadsStarted: this.threads().filter(({ parent }) => parent.teamId === teamId && this.inRange(parent.day, from, to)).length,
      reactions: messages.reduce((sum, message) => sum + message.reactionCount, 0),
      activeMembers: new Set(
        this.activities()
          .filter((entry) => entry.teamId === teamId && this.inRange(entry.day, from, to))
          .map((entry) => entry.userId),
      ).size,
      activeChannels: new Set(messages.map((message) => message.channelId)).size,
    };
  }

  /** The summary of each period, over its days inside from..to. */
  workspaceSeries(teamId: string, from: string, to: string, granularity: Granularity) {
    const days = daysOf(from, to);
    return periodsOf(from, to, granularity).map((date) => {
      const periodDays = days.filter((day) => periodOf(day, granularity) === date);
      return { date, ...this.summary(teamId, periodDays[0], periodDays[periodDays.length - 1]) };
    });
  }

  activeMembers(teamId: string, from: string, to: string) {
    const activities = this.activities().filter((entry) => entry.teamId === teamId);
    const distinctOver = (first: string, last: string) =>
      new Set(activities.filter((entry) => this.inRange(entry.day, first, last)).map((entry) => entry.userId)).size;
    return daysOf(from, to).map((date) => ({
      date,
      dau: distinctOver(date, date),
      wau: distinctOver(addDays(date, -6), date),
      mau: distinctOver(addDays(date, -27), date),
    }));
  }

  /** Counts of one channel in one workspace over days accepted by `include`. */
  private channelCounts(teamId: string, channelId: string, include: (day: string) => boolean) {
    const messages = this.messages.filter(
      (message) => message.teamId === teamId && message.channelId === channelId && include(message.day),
    );
    const threads = this.threads().filter(
      ({ parent }) => parent.teamId === teamId && parent.channelId === channelId && include(parent.day),
    );
    const replyTimes = threads.map((thread) => thread.firstReplySeconds).filter((seconds): seconds is number => seconds !== null);
    return {
      messages: messages.length,
      humanMessages: messages.filter((message) => !message.bot).length,
      threadReplies: messages.filter((message) => this.isReply(message)).length,
      threadsStarted: threads.length,
      reactions: messages.reduce((sum, message) => sum + message.reactionCount, 0),
      activePosters: new Set(
        this.activities()
          .filter((entry) => entry.teamId === teamId && entry.channelId === channelId && include(entry.day) && entry.messages > 0)
          .map((entry) => entry.userId),
      ).size,
      firstReplyP50Seconds: percentile(replyTimes, 0.5),
      firstReplyP90Seconds: percentile(replyTimes, 0.9),
    };
  }

  channelMetrics(teamId: string, from: string, to: string) {
    const channelIds = [
      ...new Set(
        this.messages
          .filter((message) => message.teamId === teamId && this.inRange(message.day, from, to))
          .map((message) => message.channelId),
      ),
    ];
    return channelIds.map((channelId) => ({
      channelId,
      name: this.channelNames.get(channelId) ?? null,
      ...this.channelCounts(teamId, channelId, (day) => this.inRange(day, from, to)),
    }));
  }

  channelSeries(teamId: string, channelId: string, from: string, to: string, granularity: Granularity) {
    return periodsOf(from, to, granularity).map((date) => ({
      date,
      ...this.channelCounts(teamId, channelId, (day) => this.inRange(day, from, to) && periodOf(day, granularity) === date),
    }));
  }

  private userCounts(userId: string, include: (entry: Activity) => boolean) {
    const entries = this.activities().filter((entry) => entry.userId === userId && include(entry));
    return {
      messages: entries.reduce((sum, entry) => sum + entry.messages, 0),
      reactionsAdded: entries.reduce((sum, entry) => sum + entry.reactionsAdded, 0),
      channelsActive: new Set(entries.map((entry) => entry.channelId)).size,
      daysActive: new Set(entries.map((entry) => entry.day)).size,
    };
  }

  userMetrics(teamId: string, from: string, to: string) {
    const include = (entry: Activity) => entry.teamId === teamId && this.inRange(entry.day, from, to);
    const userIds = [
      ...new Set(
        this.activities()
          .filter(include)
          .map((entry) => entry.userId),
      ),
    ];
    return userIds.map((userId) => ({
      userId,
      name: this.userNames.get(userId)?.name ?? null,
      realName: this.userNames.get(userId)?.realName ?? null,
      ...this.userCounts(userId, include),
    }));
  }

  userSeries(teamId: string, userId: string, from: string, to: string, granularity: Granularity) {
    return periodsOf(from, to, granularity).map((date) => ({
      date,
      ...this.userCounts(
        userId,
        (entry) => entry.teamId === teamId && this.inRange(entry.day, from, to) && periodOf(entry.day, granularity) === date,
      ),
    }));
  }

  /** Each member's first active day in the workspace ever, the periods of `granularity` each was active in, and the latest active day. */
  private memberHistory(teamId: string, granularity: Granularity) {
    const firstDays = new Map<string, string>();
    const activePeriods = new Map<string, Set<string>>();
    let latestDay = '';
    for (const entry of this.activities().filter((activity) => activity.teamId === teamId)) {
      const first = firstDays.get(entry.userId);
      if (first === undefined || entry.day < first) firstDays.set(entry.userId, entry.day);
      const periods = activePeriods.get(entry.userId) ?? new Set<string>();
      periods.add(periodOf(entry.day, granularity));
      activePeriods.set(entry.userId, periods);
      if (entry.day > latestDay) latestDay = entry.day;
    }
    return { firstDays, activePeriods, latestDay };
  }

  /** Cohorts by the period of their first activity ever, for the periods from..to touches; periods 0..12 up to the latest active day. */
  retention(teamId: string, from: string, to: string, granularity: 'week' | 'month') {
    const { firstDays, activePeriods, latestDay } = this.memberHistory(teamId, granularity);
    const rows = [];
    for (const cohort of periodsOf(from, to, granularity)) {
      const members = [...firstDays].filter(([, first]) => periodOf(first, granularity) === cohort).map(([userId]) => userId);
      if (members.length === 0) continue;
      let date = cohort;
      for (let period = 0; period <= 12 && date <= latestDay; period++) {
        const active = members.filter((userId) => activePeriods.get(userId)!.has(date)).length;
        rows.push({ cohort, cohortSize: members.length, period, date, active, share: active / members.length });
        date = nextPeriod(date, granularity);
      }
    }
    return rows;
  }

  /** New, returning and churned members of each whole period from..to touches. */
  membersFlow(teamId: string, from: string, to: string, granularity: Granularity) {
    const { firstDays, activePeriods } = this.memberHistory(teamId, granularity);
    const activeIn = (date: string) => new Set([...activePeriods].filter(([, periods]) => periods.has(date)).map(([userId]) => userId));
    return periodsOf(from, to, granularity).map((date) => {
      const now = activeIn(date);
      const before = activeIn(periodOf(addDays(date, -1), granularity));
      const newcomers = [...now].filter((userId) => periodOf(firstDays.get(userId)!, granularity) === date).length;
      return {
        date,
        new: newcomers,
        returning: now.size - newcomers,
        churned: [...before].filter((userId) => !now.has(userId)).length,
        active: now.size,
      };
    });
  }

  /** Members active over the range per current profile time zone; most members first, then by zone, unknown last. */
  timeZones(teamId: string, from: string, to: string) {
    const members = new Set(
      this.activities()
        .filter((entry) => entry.teamId === teamId && this.inRange(entry.day, from, to))
        .map((entry) => entry.userId),
    );
    const byZone = new Map<string | null, number>();
    for (const userId of members) {
      const timezone = this.userZones.get(userId) ?? null;
      byZone.set(timezone, (byZone.get(timezone) ?? 0) + 1);
    }
    return [...byZone.entries()]
      .map(([timezone, count]) => ({ timezone, members: count, share: count / members.size }))
      .sort((a, b) => {
        if (a.members !== b.members) return b.members - a.members;
        if (a.timezone === null || b.timezone === null) return a.timezone === null ? 1 : -1;
        return a.timezone < b.timezone ? -1 : 1;
      });
  }

  /**
   * external when the team a person's messages carry (the least id among those of the range), else
   * their profile's team, is another one; else guest by a guest flag; else member.
   */
  private audienceOf(workspaceId: string, userId: string, authorTeams: Array<string | null>): 'member' | 'guest' | 'external' {
    const profile = this.profiles.get(userId);
    const carried = authorTeams.filter((team): team is string => team !== null).sort()[0];
    const team = carried ?? profile?.teamId ?? null;
    if (team !== null && team !== workspaceId) return 'external';
    if (profile?.isRestricted || profile?.isUltraRestricted) return 'guest';
    return 'member';
  }

  audience(teamId: string, from: string, to: string) {
    const inScope = (message: Derived) => message.teamId === teamId && this.inRange(message.day, from, to);
    const people = new Set(
      this.activities()
        .filter((entry) => entry.teamId === teamId && this.inRange(entry.day, from, to))
        .map((entry) => entry.userId),
    );
    const humanMessages = this.messages.filter((message) => inScope(message) && !message.bot && message.userId !== null);
    const audienceOfUser = new Map(
      [...people].map((userId) => [
        userId,
        this.audienceOf(
          teamId,
          userId,
          humanMessages.filter((message) => message.userId === userId).map((message) => message.authorTeamId),
        ),
      ]),
    );
    const threads = this.threads().filter(({ parent }) => inScope(parent) && !parent.bot && parent.userId !== null);
    return (['member', 'guest', 'external'] as const).map((audience) => {
      const started = threads.filter(({ parent }) => this.audienceOf(teamId, parent.userId!, [parent.authorTeamId]) === audience);
      const replyTimes = started.map((thread) => thread.firstReplySeconds).filter((seconds): seconds is number => seconds !== null);
      return {
        audience,
        messages: humanMessages.filter((message) => audienceOfUser.get(message.userId!) === audience).length,
        activePeople: [...audienceOfUser.values()].filter((each) => each === audience).length,
        threadsStarted: started.length,
        firstReplyP50Seconds: percentile(replyTimes, 0.5),
        firstReplyP90Seconds: percentile(replyTimes, 0.9),
      };
    });
  }

  /** Every (member, channel) pair active in the range, in the API's order: user id, then channel id. */
  memberChannels(teamId: string, from: string, to: string) {
    const byPair = new Map<string, { userId: string; channelId: string; messages: number; reactionsAdded: number }>();
    for (const entry of this.activities().filter((candidate) => candidate.teamId === teamId && this.inRange(candidate.day, from, to))) {
      const key = `${entry.userId}/${entry.channelId}`;
      const pair = byPair.get(key) ?? { userId: entry.userId, channelId: entry.channelId, messages: 0, reactionsAdded: 0 };
      pair.messages += entry.messages;
      pair.reactionsAdded += entry.reactionsAdded;
      byPair.set(key, pair);
    }
    const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...byPair.values()].sort((a, b) => byCodeUnit(a.userId, b.userId) || byCodeUnit(a.channelId, b.channelId));
  }

  heatmap(teamId: string, from: string, to: string) {
    const cells = [];
    const messages = this.messages.filter((message) => message.teamId === teamId && this.inRange(message.day, from, to));
    for (let weekday = 1; weekday <= 7; weekday++) {
      for (let hour = 0; hour < 24; hour++) {
        const count = messages.filter(
          (message) => message.hour === hour && ((new Date(`${message.day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1 === weekday,
        ).length;
        cells.push({ weekday, hour, messages: count });
      }
    }
    return cells;
  }
}

/** Sorts rows like the API: field ascending, or descending with a leading '-'; nulls last; ties by `idField`. */
export function sortLikeApi<T extends Record<string, unknown>>(rows: T[], sort: string, idField: keyof T): T[] {
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  return [...rows].sort((a, b) => {
    const x = a[field];
    const y = b[field];
    if (x !== y) {
      if (x === null) return 1;
      if (y === null) return -1;
      const order = (x as number) < (y as number) ? -1 : 1;
      return descending ? -order : order;
    }
    return String(a[idField]) < String(b[idField]) ? -1 : 1;
  });
}
