import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from './seeded-random';

/**
 * Writes a realistic Slack export directory (users.json, channels.json, one
 * folder per channel with a JSON file per UTC day) for `worker demo`: a few
 * very active members and a long tail, working-hour and weekday rhythms,
 * bots, Slackbot, threads answered minutes to days later, reactions and
 * channel joins. Deterministic for a given seed and end day.
 *
 * It is separate from the test suite's export fixture, which is built for
 * coverage of odd export shapes (and writes ZIPs with a dev-only package);
 * this one is built to look like a real team on a dashboard.
 */
export const DEMO_TEAM_ID = 'TDEMO00001';

export interface DemoOptions {
  /** Last day of activity (YYYY-MM-DD, UTC). */
  endDay: string;
  days: number;
  seed: number;
}

interface DemoUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  deleted: boolean;
  is_bot: boolean;
  tz: string;
  /** Relative activity; not part of the export. */
  weight: number;
}

interface DemoChannel {
  id: string;
  name: string;
  created: number;
  is_archived: boolean;
  members: string[];
  /** Top-level human messages per weekday. */
  perDay: number;
}

interface DemoMessage {
  type: 'message';
  ts: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text: string;
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  reactions?: Array<{ name: string; users: string[]; count: number }>;
}

const FIRST_NAMES = [
  'ada',
  'ben',
  'chloe',
  'dev',
  'elena',
  'farid',
  'grace',
  'hiro',
  'ines',
  'jonas',
  'kai',
  'lena',
  'marco',
  'nina',
  'omar',
  'priya',
  'quinn',
  'rosa',
  'sam',
  'tomas',
  'uma',
  'victor',
  'wen',
  'xavi',
  'yara',
  'zoe',
  'arun',
  'bea',
  'carl',
  'dana',
  'emil',
  'fatima',
  'gus',
  'hana',
  'ivan',
  'julia',
];
const CHANNELS: Array<[string, number]> = [
  ['general', 14],
  ['engineering', 22],
  ['design', 8],
  ['support', 12],
  ['random', 9],
  ['announcements', 1],
  ['incidents', 3],
];
const EMOJI = ['+1', 'eyes', 'white_check_mark', 'tada', 'heart', 'joy', 'rocket', 'pray'];
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Europe/London'];

export async function writeDemoExport(directory: string, options: DemoOptions): Promise<{ messages: number }> {
  const next = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const weightedPick = (people: DemoUser[]): DemoUser => {
    let roll = next() * people.reduce((sum, person) => sum + person.weight, 0);
    for (const person of people) if ((roll -= person.weight) < 0) return person;
    return people[people.length - 1];
  };
  const endMs = Date.parse(`${options.endDay}T00:00:00Z`);
  const startMs = endMs - (options.days - 1) * 86_400_000;

  // A long tail: activity falls off with rank (Zipf-like), a few people carry most of the talk.
  const humans: DemoUser[] = FIRST_NAMES.map((name, index) => ({
    id: `UDEMO${String(index + 1).padStart(4, '0')}`,
    team_id: DEMO_TEAM_ID,
    name,
    real_name: `${name[0].toUpperCase()}${name.slice(1)} Example`,
    deleted: index === FIRST_NAMES.length - 1,
    is_bot: false,
    tz: ZONES[index % ZONES.length],
    weight: 1 / Math.pow(index + 1, 1.1),
  }));
  const bots: DemoUser[] = [
    {
      id: 'UDEMOBOT01',
      team_id: DEMO_TEAM_ID,
      name: 'deploybot',
      real_name: 'Deploy Bot',
      deleted: false,
      is_bot: true,
      tz: 'UTC',
      weight: 0,
    },
    {
      id: 'UDEMOBOT02',
      team_id: DEMO_TEAM_ID,
      name: 'standup',
      real_name: 'Standup Bot',
      deleted: false,
      is_bot: true,
      tz: 'UTC',
      weight: 0,
    },
  ];
  const slackbot: DemoUser = {
    id: 'USLACKBOT',
    team_id: DEMO_TEAM_ID,
    name: 'slackbot',
    real_name: 'Slackbot',
    deleted: false,
    is_bot: false,
    tz: 'UTC',
    weight: 0,
  };

  const channels: DemoChannel[] = CHANNELS.map(([name, perDay], index) => ({
    id: `CDEMO${String(index + 1).padStart(5, '0')}`,
    name,
    created: Math.floor(startMs / 1000) - 86_400 * 30,
    is_archived: false,
    members: humans
      .filter((_, position) => name === 'general' || name === 'announcements' || (position + index) % 3 !== 0)
      .map((user) => user.id),
    perDay,
  }));
  channels.push({
    id: 'CDEMO00099',
    name: 'old-project',
    created: Math.floor(startMs / 1000) - 86_400 * 400,
    is_archived: true,
    members: [humans[1].id, humans[4].id],
    perDay: 0,
  });

  const files = new Map<string, DemoMessage[]>();
  let sequence = 0;
  const post = (channel: DemoChannel, atMs: number, message: Omit<DemoMessage, 'type' | 'ts'>): DemoMessage => {
    sequence += 1;
    const full: DemoMessage = {
      type: 'message',
      ts: `${Math.floor(atMs / 1000)}.${String(sequence % 1_000_000).padStart(6, '0')}`,
      ...message,
    };
    const key = `${channel.name}/${new Date(atMs).toISOString().slice(0, 10)}.json`;
    files.set(key, [...(files.get(key) ?? []), full]);
    return full;
  };
  const reactTo = (message: DemoMessage, members: DemoUser[]) => {
    if (next() > 0.35) return;
    message.reactions = [...new Set(Array.from({ length: 1 + Math.floor(next() * 2) }, () => pick(EMOJI)))].map((name) => {
      const users = [...new Set(Array.from({ length: 1 + Math.floor(next() * 4) }, () => weightedPick(members).id))];
      return { name, users, count: users.length };
    });
  };
  // Working hours, roughly 08:00–18:00 UTC, with a lunch dip and some late stragglers.
  const hourOfDay = () => (next() < 0.12 ? Math.floor(next() * 24) : 8 + Math.floor(next() * 10));

  for (let day = 0; day < options.days; day++) {
    const dayMs = startMs + day * 86_400_000;
    const weekday = new Date(dayMs).getUTCDay();
    const rhythm = weekday === 0 || weekday === 6 ? 0.15 : 1;
    for (const channel of channels) {
      const members = humans.filter((user) => channel.members.includes(user.id) && !(user.deleted && day > options.days / 2));
      if (day === 0)
        for (const member of members.slice(0, 3))
          post(channel, dayMs + 3_600_000, { user: member.id, subtype: 'channel_join', text: `<@${member.id}> has joined the channel` });
      const count = Math.round(channel.perDay * rhythm * (0.6 + next() * 0.8));
      for (let index = 0; index < count; index++) {
        const author = weightedPick(members);
        const atMs = dayMs + hourOfDay() * 3_600_000 + Math.floor(next() * 3_600_000);
        const parent = post(channel, atMs, { user: author.id, text: 'demo message' });
        reactTo(parent, members);
        if (next() < 0.3) {
          parent.thread_ts = parent.ts;
          const replies = 1 + Math.floor(next() * 4);
          let replyMs = atMs;
          for (let reply = 0; reply < replies; reply++) {
            // Most answers within the hour, some the next day or later.
            replyMs += Math.floor((next() < 0.8 ? next() * 3_600 : next() * 172_800) * 1000);
            const responder = next() < 0.15 ? author : weightedPick(members);
            const answer = post(channel, replyMs, {
              user: responder.id,
              text: 'demo reply',
              thread_ts: parent.ts,
              ...(next() < 0.05 ? { subtype: 'thread_broadcast' } : {}),
            });
            reactTo(answer, members);
            parent.reply_count = reply + 1;
            parent.latest_reply = answer.ts;
          }
        }
      }
      if (channel.name === 'engineering' && rhythm === 1) {
        post(channel, dayMs + 16 * 3_600_000, { user: bots[0].id, bot_id: 'BDEMODEPLOY', text: 'deployed main to production' });
      }
      if (channel.name === 'incidents' && next() < 0.3) {
        post(channel, dayMs + Math.floor(next() * 86_400_000), {
          subtype: 'bot_message',
          bot_id: 'BDEMOALERT',
          text: 'alert: latency above threshold',
        });
      }
      if (channel.name === 'general' && weekday === 1) {
        post(channel, dayMs + 9 * 3_600_000, { user: bots[1].id, bot_id: 'BDEMOSTANDUP', text: 'weekly standup reminder' });
        post(channel, dayMs + 9 * 3_600_000 + 60_000, { user: slackbot.id, text: 'Reminder: fill in the weekly update' });
      }
    }
  }

  await mkdir(directory, { recursive: true });
  const users = [...humans, ...bots, slackbot].map(({ weight: _weight, ...user }) => user);
  await writeFile(join(directory, 'users.json'), JSON.stringify(users));
  await writeFile(join(directory, 'channels.json'), JSON.stringify(channels.map(({ perDay: _perDay, ...channel }) => channel)));
  let messages = 0;
  for (const [file, dayMessages] of files) {
    await mkdir(join(directory, file.split('/')[0]), { recursive: true });
    dayMessages.sort((a, b) => Number(a.ts) - Number(b.ts));
    await writeFile(join(directory, file), JSON.stringify(dayMessages));
    messages += dayMessages.length;
  }
  return { messages };
}
