/**
 * Import benchmark: how fast `worker import` stores a large Slack export,
 * against a raw COPY of the same rows into the same PostgreSQL in the same
 * run, and how much memory the import needs.
 *
 *   npm run build
 *   npx tsc -p bench/tsconfig.import.json
 *   node dist/bench/bench/import.js [--messages 300000] [--rounds 3] [--keep]
 *
 * It generates a seeded export with test/support/slack-export-fixture.ts,
 * starts a PostgreSQL of its own (the test one, test/support/postgres-server.mjs),
 * and in each of a few alternating rounds migrates two databases with the
 * built worker, COPYs the export's rows into the first (baseline: the rows
 * are encoded before the clock starts, so only the database's ingest is
 * timed), runs the built `worker import` on the ZIP into the second (with the
 * V8 flag `npm run import` passes) while
 * sampling its peak RSS (VmHWM), and prints the rates; targets are judged on
 * the medians.
 * Exit code 1 when a target (50,000 messages/s, 0.5× COPY, 300 MiB) is missed.
 */
import './app-aliases';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { messageRecord } from '../libs/ingestion/src/records';
import { MESSAGE_COPY_COLUMNS, messageCopyLine } from '../libs/ingestion/src/store/message-columns';
import { samplePeakRss } from '../test/support/peak-rss';
import { createSlackExportFixture, ExportFixtureOptions, writeExportZip } from '../test/support/slack-export-fixture';
import { ROOT, WORKER, argument, median, startTestServer } from './bench-support';

const TARGET_RATE = 50_000;
const TARGET_RATIO = 0.5;
const TARGET_RSS_MIB = 300;
/** The Node.js options of `npm run import` (package.json), so that the import is timed as it is run. */
function importNodeFlags(): string[] {
  const [node, ...rest] = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.import as string).split(' ');
  const entry = rest.indexOf('dist/apps/worker/main.js');
  if (node !== 'node' || entry < 0) throw new Error('package.json: scripts.import is not `node [options] dist/apps/worker/main.js import`');
  return rest.slice(0, entry);
}

/** Conversations × days × messages per day, plus the threads' replies, comes to about `messages`. */
function fixtureFor(messages: number): ExportFixtureOptions {
  const conversations = 20 + 5 + 5 + 2;
  const days = 365;
  // About 1.25 stored messages per top-level one (thread replies, joins), found by generating once.
  const perDay = Math.ceil(messages / (conversations * days * 1.25));
  return {
    seed: 2024,
    publicChannels: 20,
    privateChannels: 5,
    directMessages: 5,
    multiPartyDirectMessages: 2,
    humans: 60,
    botUsers: 4,
    days,
    startDate: '2023-01-01',
    messagesPerDay: perDay,
  };
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  onStart?: (child: ChildProcess) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH, ...env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolveRun({ code, stdout, stderr }));
    onStart?.(child);
  });
}

async function createDatabase(admin: Client, name: string, url: string): Promise<void> {
  await admin.query(`CREATE DATABASE ${name}`);
  const migrated = await run(process.execPath, [WORKER, 'migrate'], { DATABASE_URL: url, LOG_LEVEL: 'warn' });
  if (migrated.code !== 0) throw new Error(`migrate failed:\n${migrated.stdout}${migrated.stderr}`);
}

/** The export's rows in COPY text format, encoded as the import encodes them, before the clock starts. */
function copyRows(fixture: ReturnType<typeof createSlackExportFixture>): { chunks: string[]; rows: number } {
  const chunks: string[] = [];
  let chunk = '';
  let rows = 0;
  for (const day of fixture.dayFiles()) {
    for (const message of day.messages) {
      const record = messageRecord(message, { teamId: fixture.teamId, channelId: day.channelId, storeText: false });
      if (!record) continue;
      rows++;
      chunk += messageCopyLine(record, 'import');
      if (chunk.length > 256 * 1024) {
        chunks.push(chunk);
        chunk = '';
      }
    }
  }
  chunks.push(chunk);
  return { chunks, rows };
}

async function main(): Promise<void> {
  const target = argument('--messages', 300_000);
  const rounds = argument('--rounds', 3);
  const postgres = await startTestServer('slack-import-bench');
  try {
    const fixture = createSlackExportFixture(fixtureFor(target));
    const zipPath = join(postgres.directory, 'export.zip');
    let clock = Date.now();
    const messages = await writeExportZip(fixture, zipPath);
    console.log(
      `export: ${messages} messages, ${(statSync(zipPath).size / 2 ** 20).toFixed(1)} MiB ZIP, generated in ${((Date.now() - clock) / 1000).toFixed(1)} s`,
    );

    const { chunks, rows } = copyRows(fixture);
    const admin = new Client({ connectionString: postgres.url('postgres') });
    await admin.connect();
    // Alternating rounds, medians reported: on a shared 2-core machine one pair of runs can differ by a third.
    const copyRates: number[] = [];
    const importRates: number[] = [];
    const ratios: number[] = [];
    let peakRssMib = 0;
    let lastSummary = '';
    for (let round = 1; round <= rounds; round++) {
      await createDatabase(admin, 'baseline', postgres.url('baseline'));
      await createDatabase(admin, 'imported', postgres.url('imported'));
      const baseline = new Client({ connectionString: postgres.url('baseline') });
      await baseline.connect();
      clock = Date.now();
      await pipeline(Readable.from(chunks), baseline.query(copyFrom(`COPY messages (${MESSAGE_COPY_COLUMNS}) FROM STDIN`)));
      const copySeconds = (Date.now() - clock) / 1000;
      await baseline.end();

      clock = Date.now();
      let peakRss = () => 0;
      const imported = await run(
        process.execPath,
        [...importNodeFlags(), WORKER, 'import', zipPath],
        { DATABASE_URL: postgres.url('imported'), LOG_LEVEL: 'warn' },
        (child) => {
          peakRss = samplePeakRss(child);
        },
      );
      const importSeconds = (Date.now() - clock) / 1000;
      if (imported.code !== 0) throw new Error(`import failed:\n${imported.stdout}${imported.stderr}`);
      copyRates.push(rows / copySeconds);
      importRates.push(messages / importSeconds);
      ratios.push(messages / importSeconds / (rows / copySeconds));
      peakRssMib = Math.max(peakRssMib, peakRss());
      lastSummary = imported.stdout.trimEnd();
      console.log(
        `round ${round}: raw COPY ${rows} rows in ${copySeconds.toFixed(2)} s = ${Math.round(rows / copySeconds)} rows/s; ` +
          `worker import ${messages} messages in ${importSeconds.toFixed(2)} s = ${Math.round(messages / importSeconds)} messages/s ` +
          `(whole process, start-up included); ratio ${ratios.at(-1)!.toFixed(2)}; peak RSS ${peakRss().toFixed(0)} MiB`,
      );
      await admin.query('DROP DATABASE baseline');
      await admin.query('DROP DATABASE imported');
    }
    await admin.end();
    const importRate = median(importRates);
    const ratio = median(ratios);
    console.log(lastSummary.replace(/^/gm, '    '));
    console.log(
      `median of ${rounds} rounds: raw COPY ${Math.round(median(copyRates))} rows/s, import ${Math.round(importRate)} messages/s, ratio import / raw COPY ${ratio.toFixed(2)}`,
    );
    console.log(`peak RSS of the import (highest round): ${peakRssMib.toFixed(0)} MiB`);

    const misses = [
      messages < 300_000 && target >= 300_000 ? `export has only ${messages} messages` : '',
      importRate < TARGET_RATE ? `rate ${Math.round(importRate)} < ${TARGET_RATE} messages/s` : '',
      ratio < TARGET_RATIO ? `ratio ${ratio.toFixed(2)} < ${TARGET_RATIO}` : '',
      peakRssMib >= TARGET_RSS_MIB ? `peak RSS ${peakRssMib.toFixed(0)} MiB >= ${TARGET_RSS_MIB} MiB` : '',
    ].filter((miss) => miss !== '');
    console.log(misses.length === 0 ? 'all targets met' : `targets missed: ${misses.join('; ')}`);
    if (misses.length > 0) process.exitCode = 1;
  } finally {
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
