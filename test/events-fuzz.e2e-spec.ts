import { DataSource } from 'typeorm';
import { seededRandom } from '../apps/worker/src/demo/seeded-random';
import { createTestDatabase, migratedDataSource, TestDatabase } from './support/database';
import { RunningApi, runWorker, startApi } from './support/processes';
import { signSlackRequest } from './support/slack-events';

const SECRET = 'events-fuzz-signing-secret';
const READ_TOKEN = 'read-token-events-fuzz-0001';
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 30);
/** Deliveries in flight at once, as Slack sends them. */
const CONCURRENCY = 4;
/** Every answer a delivery may get; anything else (a 5xx above all) fails the run. */
const ACCEPTABLE_STATUSES = new Set([200, 400, 401, 413, 415, 429]);
const SLACK_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Ids a case creates carry its number, so rows can be traced to the delivery that wrote them. */
const TAGGED_ID = /^(?:[CTU]F|EvF)(\d+)X/;

type Random = () => number;

/** `day` moved by `count` days, kept within the supported days. */
function shiftDay(day: string, count: number): string {
  const moved = Date.parse(`${day}T00:00:00Z`) + count * 86_400_000;
  return new Date(Math.min(Math.max(moved, Date.parse('1970-01-01T00:00:00Z')), Date.parse('9999-12-31T00:00:00Z')))
    .toISOString()
    .slice(0, 10);
}

/**
 * Generated Events API deliveries: every handled event type (and some that
 * are not), with each field drawn now from what Slack sends, now from values
 * no row can hold — NUL, ids of 100,000 characters, ts past 9999 or of 20
 * digits, counts of 1e12 or 1e300, negative or fractional counts, arrays and
 * objects where text belongs. Most are signed; some are forged, re-sent as
 * Slack's retries, or carry a body that is not an event at all.
 */
class DeliveryGenerator {
  /** Messages delivered in the shared channels, for reactions, edits and deletions to point at. */
  private readonly known: Array<{ channel: string; ts: string }> = [];

  constructor(private readonly random: Random) {}

  private chance(probability: number): boolean {
    return this.random() < probability;
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)];
  }

  private integer(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low + 1));
  }

  /** A value of another kind than the field wants. */
  hostile(): unknown {
    return this.pick<() => unknown>([
      () => null,
      () => this.integer(-5, 5),
      () => 1e300,
      () => -1.5,
      () => true,
      () => [],
      () => ['U0POOL1', 'x'],
      () => ({ nested: { deeper: 'x' } }),
      () => '',
      () => 'nul\u0000inside',
      () => '\u0000',
      () => 'x'.repeat(this.pick([65, 300, 100_000])),
      () => 'emoji 🎉 and \ud800 lone surrogate',
      () => "'; DROP TABLE messages; --",
      () => '\\N\t\n\r',
    ])();
  }

  /** An id: mostly a Slack id, new for this case or shared, sometimes hostile. */
  id(prefix: 'C' | 'U' | 'T', tag: number): unknown {
    if (this.chance(0.1)) return this.hostile();
    return this.chance(0.4) ? `${prefix}F${tag}X${this.integer(0, 2)}` : `${prefix}0POOL${this.integer(1, 3)}`;
  }

  ts(): unknown {
    const roll = this.random();
    if (roll < 0.75) return `${this.integer(1_500_000_000, 1_800_000_000)}.${String(this.integer(0, 999_999)).padStart(6, '0')}`;
    return this.pick<unknown>([
      '86400.000000',
      '86399.999999',
      '253399795199.999999',
      '253399795200.000000',
      '253402300800.000000',
      '12345678901234567890.000001',
      '01700000000.000100',
      '1700000000.0001000',
      '1700000000',
      1_700_000_000.0001,
      '1e12.000001',
      '-1700000000.000100',
      this.hostile(),
    ]);
  }

  count(): unknown {
    return this.chance(0.7)
      ? this.integer(0, 50)
      : this.pick<unknown>([2_000_000_000, 2 ** 31, 3e9, 1e12, 1e300, -5, 1.5, '7', this.hostile()]);
  }

  text(): unknown {
    return this.chance(0.8) ? this.pick(['hello', 'deploy done', 'ok', 'général', '']) : this.hostile();
  }

  reactions(tag: number): unknown {
    if (this.chance(0.1)) return this.hostile();
    return Array.from({ length: this.integer(0, 4) }, () =>
      this.chance(0.1)
        ? this.hostile()
        : {
            name: this.chance(0.8) ? this.pick(['tada', 'eyes', 'ta\u0000da']) : this.hostile(),
            count: this.count(),
            users: Array.from({ length: this.integer(0, 3) }, () => this.id('U', tag)),
          },
    );
  }

  message(tag: number, channel: unknown): Record<string, unknown> {
    const ts = this.ts();
    const fields: Record<string, unknown> = { type: 'message', user: this.id('U', tag), text: this.text(), ts };
    if (this.chance(0.3)) fields.thread_ts = this.chance(0.5) ? ts : this.ts();
    if (this.chance(0.3)) fields.reply_count = this.count();
    if (this.chance(0.2)) fields.latest_reply = this.ts();
    if (this.chance(0.3)) fields.reactions = this.reactions(tag);
    if (this.chance(0.2))
      fields.subtype = this.pick<unknown>([
        'bot_message',
        'thread_broadcast',
        'file_share',
        'channel_join',
        'tombstone',
        'me_message\u0000',
        this.hostile(),
      ]);
    if (this.chance(0.15)) fields.bot_id = this.chance(0.7) ? 'B0POOL1' : this.hostile();
    if (this.chance(0.15)) fields.edited = this.chance(0.7) ? { user: 'U0POOL1', ts: this.ts() } : this.hostile();
    if (this.chance(0.1)) fields.files = this.chance(0.7) ? [{ id: 'F1' }] : this.hostile();
    if (typeof channel === 'string' && channel.startsWith('C0POOL') && typeof ts === 'string') this.known.push({ channel, ts });
    return fields;
  }

  private knownMessage(tag: number): { channel: unknown; ts: unknown } {
    return this.known.length > 0 && this.chance(0.8) ? this.pick(this.known) : { channel: this.id('C', tag), ts: this.ts() };
  }

  event(tag: number): Record<string, unknown> {
    const channel = this.id('C', tag);
    const channelType = this.pick<unknown>(['channel', 'group', 'im', 'mpim', 'C', 'G', this.hostile()]);
    switch (
      this.pick(['message', 'message', 'message', 'changed', 'deleted', 'reaction', 'channel', 'archive', 'member', 'user', 'other'])
    ) {
      case 'message':
        return { ...this.message(tag, channel), channel, channel_type: channelType };
      case 'changed': {
        const target = this.knownMessage(tag);
        const subtype = this.pick(['message_changed', 'message_replied']);
        return {
          type: 'message',
          subtype,
          channel: target.channel,
          ts: this.ts(),
          message: this.chance(0.9) ? { ...this.message(tag, target.channel), ts: target.ts } : this.hostile(),
        };
      }
      case 'deleted': {
        const target = this.knownMessage(tag);
        const previous = this.chance(0.5) ? { ...this.message(tag, target.channel), ts: target.ts } : this.hostile();
        return {
          type: 'message',
          subtype: 'message_deleted',
          channel: target.channel,
          ts: this.ts(),
          deleted_ts: this.chance(0.9) ? target.ts : this.ts(),
          previous_message: previous,
        };
      }
      case 'reaction': {
        const target = this.knownMessage(tag);
        const item = this.chance(0.9) ? { type: 'message', channel: target.channel, ts: target.ts } : this.hostile();
        return {
          type: this.pick(['reaction_added', 'reaction_removed']),
          user: this.id('U', tag),
          reaction: this.chance(0.8) ? this.pick(['tada', 'eyes']) : this.hostile(),
          item,
          event_ts: this.ts(),
        };
      }
      case 'channel': {
        const fields = {
          id: channel,
          name: this.text(),
          created: this.pick<unknown>([1_700_000_000, 1e300, -1, this.hostile()]),
          num_members: this.count(),
          is_private: this.chance(0.3),
        };
        return { type: this.pick(['channel_created', 'channel_rename']), channel: this.chance(0.9) ? fields : this.hostile() };
      }
      case 'archive':
        return { type: this.pick(['channel_archive', 'channel_unarchive']), channel, user: this.id('U', tag) };
      case 'member':
        return {
          type: this.pick(['member_joined_channel', 'member_left_channel']),
          channel,
          user: this.id('U', tag),
          channel_type: channelType,
        };
      case 'user': {
        const user = {
          id: this.id('U', tag),
          team_id: this.id('T', tag),
          name: this.text(),
          real_name: this.chance(0.7) ? 'Real Name' : this.hostile(),
          deleted: this.chance(0.1),
          is_bot: this.chance(0.1),
          tz: this.chance(0.8) ? 'Europe/Berlin' : this.hostile(),
          profile: this.chance(0.5) ? { real_name: this.text() } : this.hostile(),
        };
        return { type: this.pick(['team_join', 'user_change']), user: this.chance(0.9) ? user : this.hostile() };
      }
      default:
        return { type: this.pick(['app_mention', 'emoji_changed', 'pin_added']), channel };
    }
  }

  /** One delivery's raw body and whether it is signed with the right secret. */
  delivery(tag: number, earlier: string[]): { body: string; signed: boolean; contentType: string } {
    const roll = this.random();
    // Slack's retries carry the body of an earlier delivery.
    if (roll < 0.08 && earlier.length > 0) return { body: this.pick(earlier), signed: true, contentType: 'application/json' };
    if (roll < 0.13)
      return {
        body: JSON.stringify(
          this.pick<unknown>([
            [],
            'x',
            7,
            null,
            { type: 'event_callback' },
            { type: 'event_callback', event_id: 'EvX', event: 'x' },
            { type: 'url_verification', challenge: this.hostile() },
          ]),
        ),
        signed: true,
        contentType: 'application/json',
      };
    if (roll < 0.16)
      return { body: `{"type":"event_callback","event_id":"EvF${tag}X",\u0000`, signed: true, contentType: 'application/json' };
    const envelope: Record<string, unknown> = {
      token: 'unused',
      team_id: this.id('T', tag),
      api_app_id: 'A0APP',
      type: 'event_callback',
      event_id: this.chance(0.95) ? `EvF${tag}X` : this.hostile(),
      event_time: 1_717_200_000,
      event: this.event(tag),
    };
    if (this.chance(0.05)) delete envelope.team_id;
    const body = JSON.stringify(envelope);
    return { body, signed: !this.chance(0.05), contentType: this.chance(0.02) ? 'text/plain' : 'application/json' };
  }
}

describe('generated signed events through POST /slack/events', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: RunningApi;

  beforeAll(async () => {
    database = await createTestDatabase('events_fuzz');
    dataSource = await migratedDataSource(database);
    api = await startApi({ DATABASE_URL: database.url, SLACK_SIGNING_SECRET: SECRET, API_TOKENS: READ_TOKEN, LOG_LEVEL: 'error' });
  });

  afterAll(async () => {
    await api?.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  it(
    'answers every delivery without a 5xx, stores only rows within the rules, and nothing of a delivery it did not apply',
    async () => {
      const generator = new DeliveryGenerator(seededRandom(SEED));
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      const earlier: string[] = [];
      const deadline = Date.now() + FUZZ_SECONDS * 1000;
      let cases = 0;

      const send = async (tag: number) => {
        const { body, signed, contentType } = generator.delivery(tag, earlier);
        if (earlier.length < 200) earlier.push(body);
        const timestamp = Math.floor(Date.now() / 1000);
        const response = await fetch(`${api.url}/slack/events`, {
          method: 'POST',
          headers: {
            'content-type': contentType,
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': signed ? signSlackRequest(SECRET, timestamp, body) : `v0=${'0'.repeat(64)}`,
          },
          body,
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (!ACCEPTABLE_STATUSES.has(response.status) && failures.length < 20)
          failures.push(`case ${tag} (seed ${SEED}): ${response.status} for ${body.slice(0, 300)}`);
      };
      while (Date.now() < deadline) {
        const batch = Array.from({ length: CONCURRENCY }, () => ++cases);
        await Promise.all(batch.map(send));
      }

      const tally = [...statuses.entries()]
        .sort(([left], [right]) => left - right)
        .map(([status, count]) => `${count}×${status}`)
        .join(', ');
      console.log(`events fuzz: seed ${SEED}, ${cases} deliveries in ${FUZZ_SECONDS} s: ${tally}`);
      expect(failures).toEqual([]);
      expect(api.child.exitCode).toBeNull();
      expect((await fetch(`${api.url}/health/live`)).status).toBe(200);

      // Every id stored is a Slack id; every ts and time within the supported days.
      const badIds = await dataSource.query(
        `SELECT 'workspaces' AS at, id FROM workspaces WHERE id !~ $1
       UNION ALL SELECT 'channels', id FROM channels WHERE id !~ $1 OR team_id !~ $1 OR length(name) > 255
       UNION ALL SELECT 'users', id FROM users WHERE id !~ $1 OR team_id !~ $1
       UNION ALL SELECT 'messages', channel_id || ' ' || ts FROM messages
         WHERE channel_id !~ $1 OR team_id !~ $1 OR user_id !~ $1 OR bot_id !~ $1
            OR ts !~ '^[1-9][0-9]{4,11}\\.[0-9]{1,6}$' OR posted_at NOT BETWEEN '1970-01-02' AND '9999-12-03'
            OR reaction_count < 0 OR reply_count < 0
       UNION ALL SELECT 'processed_events', event_id FROM processed_events WHERE event_id !~ $1 OR team_id !~ $1`,
        [SLACK_ID.source],
      );
      expect(badIds).toEqual([]);

      // A delivery not applied (skipped, ignored, refused) left no row behind.
      const applied = new Set(
        ((await dataSource.query(`SELECT event_id FROM processed_events`)) as Array<{ event_id: string }>).map(
          (row) => TAGGED_ID.exec(row.event_id)?.[1],
        ),
      );
      const traced: Array<{ id: string }> = await dataSource.query(
        `SELECT id FROM workspaces UNION ALL SELECT id FROM channels UNION ALL SELECT id FROM users UNION ALL SELECT DISTINCT channel_id FROM messages`,
      );
      const orphans = traced.filter(({ id }) => {
        const tag = TAGGED_ID.exec(id)?.[1];
        return tag !== undefined && !applied.has(tag);
      });
      expect(orphans).toEqual([]);
      const [{ messages, events }] = await dataSource.query(
        `SELECT (SELECT count(*)::int FROM messages) AS messages, (SELECT count(*)::int FROM processed_events) AS events`,
      );
      console.log(`events fuzz: ${events} deliveries applied, ${messages} messages stored`);
      expect(events).toBeGreaterThan(cases / 4);

      // What was stored aggregates, and every workspace's numbers are served.
      const aggregate = await runWorker(
        ['aggregate', '--full'],
        { DATABASE_URL: database.url, METRICS_TIMEZONE: 'Pacific/Kiritimati' },
        120_000,
      );
      expect({ code: aggregate.code, output: aggregate.code === 0 ? '' : aggregate.stdout + aggregate.stderr }).toEqual({
        code: 0,
        output: '',
      });
      const [bounds] = await dataSource.query(`SELECT min(day)::text AS first, max(day)::text AS last FROM channel_day_rollups`);
      // The shared workspaces and a sample of those single deliveries created: each answers like the others.
      const workspaces: Array<{ id: string }> = await dataSource.query(
        `SELECT id FROM workspaces ORDER BY id LIKE 'T0POOL%' DESC, md5(id) LIMIT 20`,
      );
      const answers: string[] = [];
      for (const { id } of workspaces) {
        for (const range of [
          `from=${bounds.first}&to=${shiftDay(bounds.first, 365)}`,
          `from=${shiftDay(bounds.last, -365)}&to=${bounds.last}`,
        ]) {
          for (const path of ['summary', 'active-members', 'channels', 'users', 'heatmap']) {
            const response = await fetch(`${api.url}/api/v1/metrics/${path}?teamId=${id}&${range}`, {
              headers: { authorization: `Bearer ${READ_TOKEN}` },
            });
            if (response.status !== 200) answers.push(`${path}?teamId=${id}&${range}: ${response.status}`);
          }
        }
      }
      expect(answers).toEqual([]);
      const rss = /process_resident_memory_bytes (\d+)/.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1];
      console.log(
        `events fuzz: ${workspaces.length} workspaces checked, days ${bounds.first}..${bounds.last}, api RSS ${Math.round(Number(rss) / 2 ** 20)} MiB`,
      );
    },
    FUZZ_SECONDS * 1000 + 180_000,
  );
});
