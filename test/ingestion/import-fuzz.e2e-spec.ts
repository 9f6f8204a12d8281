/**
 * Property-based fuzzing of the import door: seeded, generated and mutated
 * export archives (test/support/hostile-archives.ts) go through the importer
 * and through the built `worker import`. The properties: an import either
 * stores (and its summary adds up) or is refused with a message that quotes
 * no message text, leaving every row as it was; nothing else happens — no
 * other error, no signal, no stack trace, no hang, bounded memory. Runs for
 * FUZZ_SECONDS (40 by default; scripts/reliability.sh gives it 600).
 */
import { ExportError, importSlackExport, ImportSummary, InvalidRecordError } from '@app/ingestion';
import * as fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { ArchivePlan, archivePlans, CANARY_TEXT, writeArchive } from '../support/hostile-archives';
import { runWorker, temporaryDirectory } from '../support/processes';

const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 40);
const SEED = 20261202;
/** Most cases run in-process, many per second; the rest through the worker process, whose exit and memory are watched. */
const IN_PROCESS_SHARE = 0.7;
const MAX_FILE_BYTES = 1024 * 1024 * 1024;
const PEAK_RSS_LIMIT_MIB = 512;
/** The fuzzing time, and room for the case under way when it ends (a worker import may take up to 2 minutes). */
const TEST_TIMEOUT_MS = (FUZZ_SECONDS + 180) * 1000;

/**
 * A property whose last case is awaited: fast-check's time limit ends a run
 * without waiting for the case under way, which would go on importing into
 * the next test's database state.
 */
function awaitedProperty<A extends unknown[]>(
  body: (...args: A) => Promise<void>,
): { run: (...args: A) => Promise<void>; last: () => Promise<void> } {
  let last: Promise<void> = Promise.resolve();
  return { run: (...args) => (last = body(...args)), last: () => last };
}

describe('fuzzing the import with hostile archives', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let workDirectory: string;

  beforeAll(async () => {
    database = await createTestDatabase('import_fuzz');
    dataSource = await migratedDataSource(database);
    workDirectory = temporaryDirectory('import-fuzz');
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
    await rm(workDirectory, { recursive: true, force: true });
  });

  /** Every stored row, updated_at included: a refused import must leave it exactly as it was. */
  async function fingerprint(): Promise<string> {
    const [row] = await dataSource.query(
      `SELECT (SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY m.channel_id, m.ts), '')) FROM messages m)
           || (SELECT md5(coalesce(string_agg(u::text, '|' ORDER BY u.id), '')) FROM users u)
           || (SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY c.id), '')) FROM channels c)
           || (SELECT md5(coalesce(string_agg(w::text, '|' ORDER BY w.id), '')) FROM workspaces w) AS print`,
    );
    return row.print;
  }

  async function messageCount(): Promise<number> {
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM messages`);
    return count;
  }

  /** The rows from earlier cases stay, so imports also meet stored data, until they grow past a few thousand. */
  async function prune(): Promise<void> {
    if ((await messageCount()) > 5_000) await dataSource.query('TRUNCATE workspaces, channels, users, messages');
  }

  /** A case in a directory of its own, removed afterwards. */
  async function withArchive<T>(plan: ArchivePlan, run: (path: string) => Promise<T>): Promise<T> {
    const directory = await mkdtemp(join(workDirectory, 'case-'));
    try {
      return await run(await writeArchive(plan, directory));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }

  function expectConsistent(summary: ImportSummary, countBefore: number, countAfter: number): void {
    const skippedMessages = (['not a message object', 'no valid ts', 'invalid id'] as const).reduce(
      (sum, reason) => sum + (summary.skipped[reason] ?? 0),
      0,
    );
    expect(summary.messagesStored + summary.messagesUnchanged + skippedMessages).toBe(summary.messagesRead);
    expect(countAfter - countBefore).toBeLessThanOrEqual(summary.messagesStored);
    expect(countAfter).toBeGreaterThanOrEqual(countBefore);
  }

  it(
    'imports or refuses every archive in-process, never anything else, never half-stored',
    async () => {
      const tally = { stored: 0, refused: 0 };
      const property = awaitedProperty(async (plan: ArchivePlan, storeText: boolean, batchSize: number | undefined) => {
        await prune();
        const before = await fingerprint();
        const countBefore = await messageCount();
        await withArchive(plan, async (path) => {
          let summary: ImportSummary;
          try {
            summary = await importSlackExport(dataSource, path, { storeText, batchSize, maxFileBytes: MAX_FILE_BYTES });
          } catch (error) {
            if (!(error instanceof ExportError || error instanceof InvalidRecordError)) throw error;
            expect(error.message).not.toContain(CANARY_TEXT);
            expect(await fingerprint()).toBe(before);
            tally.refused++;
            return;
          }
          expectConsistent(summary, countBefore, await messageCount());
          tally.stored++;
        });
      });
      await fc.assert(fc.asyncProperty(archivePlans(false), fc.boolean(), fc.constantFrom(undefined, 1, 7, 50), property.run), {
        seed: SEED,
        numRuns: 1_000_000,
        plugins: [fc.interruptAfterTimeLimit(FUZZ_SECONDS * IN_PROCESS_SHARE * 1000)],
      });
      await property.last();
      console.log(
        `import fuzzing in-process: ${tally.stored + tally.refused} archives, ${tally.stored} imported, ${tally.refused} refused, 0 crashes, none half-stored`,
      );
      expect(tally.stored).toBeGreaterThan(0);
      expect(tally.refused).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'through worker import: exit 0 or a one-line refusal, no signal, no stack, no hang, bounded memory',
    async () => {
      const tally = { stored: 0, refused: 0, peakRssMib: 0, worst: '' };
      const env = { DATABASE_URL: database.url };
      const property = awaitedProperty(async (plan: ArchivePlan, lowLimit: boolean) => {
        await prune();
        const before = await fingerprint();
        await withArchive(plan, async (path) => {
          const result = await runWorker(['import', path, ...(lowLimit ? ['--max-file-mib', '256'] : [])], env, 120_000);
          const output = result.stdout + result.stderr;
          expect(result.signal).toBeNull();
          expect([0, 1]).toContain(result.code);
          expect(output).not.toMatch(/\n\s+at |"stack"/);
          expect(output).not.toContain(CANARY_TEXT);
          expect(result.peakRssMib).toBeLessThan(PEAK_RSS_LIMIT_MIB);
          if (result.peakRssMib > tally.peakRssMib) {
            tally.peakRssMib = result.peakRssMib;
            tally.worst = plan.large ? `${plan.large.shape} day file of ${plan.large.megabytes} MiB` : `${plan.layout}, no large file`;
          }
          if (result.code === 0) {
            expect(result.stdout).toContain('messages read:');
            tally.stored++;
          } else {
            expect(output).toContain('import failed, nothing was stored: ');
            expect(await fingerprint()).toBe(before);
            tally.refused++;
          }
        });
      });
      await fc.assert(fc.asyncProperty(archivePlans(true), fc.boolean(), property.run), {
        seed: SEED,
        numRuns: 1_000_000,
        plugins: [fc.interruptAfterTimeLimit(FUZZ_SECONDS * (1 - IN_PROCESS_SHARE) * 1000)],
      });
      await property.last();
      console.log(
        `import fuzzing through worker import: ${tally.stored + tally.refused} archives, ${tally.stored} imported, ${tally.refused} refused, ` +
          `0 crashes, none half-stored; worst peak RSS ${Math.round(tally.peakRssMib)} MiB (${tally.worst})`,
      );
      expect(tally.stored + tally.refused).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );
});
