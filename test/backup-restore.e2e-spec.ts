import { createDataSource, runPendingMigrations } from '@app/db';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from './support/database';
import { REPO_ROOT, runWorker, temporaryDirectory } from './support/processes';
import { renderChart, TOOLS_BIN } from './support/tools';

interface Container {
  command: string[];
  env: { name: string; value?: string }[];
}

/** The shell script of the chart's backup CronJob, exactly as rendered. */
function renderedBackupScript(): { script: string; env: Record<string, string> } {
  const cronJob = renderChart(['--set', 'backup.enabled=true']).find(
    (manifest) => manifest.kind === 'CronJob' && manifest.metadata.name === 'slack-metrics-backup',
  ) as unknown as { spec: { jobTemplate: { spec: { template: { spec: { containers: Container[] } } } } } };
  const [container] = cronJob.spec.jobTemplate.spec.template.spec.containers;
  expect(container.command.slice(0, 2)).toEqual(['bash', '-c']);
  const env = Object.fromEntries(
    container.env.filter((entry) => entry.value !== undefined).map((entry) => [entry.name, entry.value as string]),
  );
  return { script: container.command[2], env };
}

/** The pg_restore options of the documented restore procedure (docs/kubernetes.md). */
function documentedRestoreOptions(): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs/kubernetes.md'), 'utf8').replace(/\\\n\s*/g, ' ');
  const line = doc.split('\n').find((candidate) => candidate.includes('pg_restore '));
  if (!line) throw new Error('docs/kubernetes.md has no pg_restore command');
  const words = line.slice(line.indexOf('pg_restore ')).split(/\s+/);
  return words.slice(1, words.indexOf('--dbname'));
}

async function snapshot(url: string): Promise<Record<string, unknown[]>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = ['workspaces', 'channels', 'users', 'messages', 'schema_migrations'];
    const result: Record<string, unknown[]> = {};
    for (const table of tables) {
      result[table] = (await client.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
    }
    return result;
  } finally {
    await client.end();
  }
}

describe('database backup and restore', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('backup');
    const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 2, applicationName: 'test' });
    await dataSource.initialize();
    await runPendingMigrations(dataSource);
    await dataSource.query(`INSERT INTO workspaces (id, name, domain) VALUES ('T1', 'Acme', 'acme')`);
    await dataSource.query(`INSERT INTO channels (id, team_id, name) VALUES ('C1', 'T1', 'general'), ('C2', 'T1', 'random')`);
    await dataSource.query(`INSERT INTO users (id, team_id, name) VALUES ('U1', 'T1', 'ann'), ('U2', 'T1', 'bob')`);
    await dataSource.query(`
      INSERT INTO messages (channel_id, ts, team_id, user_id, posted_at, source, reactions, reactors, reaction_count)
      SELECT 'C' || (1 + i % 2), (1700000000 + i) || '.000100', 'T1', 'U' || (1 + i % 2), to_timestamp(1700000000 + i), 'import',
             '[{"name":"tada","count":1,"users":["U1"]}]'::jsonb, '{U1}', 1
      FROM generate_series(1, 500) AS i`);
    await dataSource.destroy();
  });

  afterAll(async () => {
    await database.drop();
  });

  it("the chart's backup job dumps, keeps the newest, and the documented restore brings the data back", async () => {
    const { script, env } = renderedBackupScript();
    const backupDir = temporaryDirectory('backups');
    const url = new URL(database.url);
    const runBackup = () =>
      execFileSync('bash', ['-c', script.replaceAll('/backups', backupDir)], {
        encoding: 'utf8',
        env: {
          PATH: `${TOOLS_BIN}:${process.env.PATH}`,
          HOME: process.env.HOME,
          PGHOST: url.hostname,
          PGPORT: url.port,
          PGUSER: decodeURIComponent(url.username),
          PGPASSWORD: decodeURIComponent(url.password),
          PGDATABASE: url.pathname.slice(1),
          PGSSLMODE: 'disable',
          KEEP: '2',
        },
      });
    expect(env.KEEP).toBe('7');

    const original = await snapshot(database.url);
    for (let run = 0; run < 3; run++) {
      expect(runBackup()).toContain('wrote ');
      await sleep(1100); // dumps are named by the second
    }
    const dumps = readdirSync(backupDir).sort();
    expect(dumps).toHaveLength(2);
    expect(dumps.every((name) => name.startsWith(`${url.pathname.slice(1)}-`) && name.endsWith('.dump'))).toBe(true);

    // Damage the database after the backup.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query(`DELETE FROM messages WHERE channel_id = 'C1'`);
    await client.query(`UPDATE users SET name = 'mallory'`);
    await client.query(`INSERT INTO channels (id, team_id, name) VALUES ('C9', 'T1', 'after-backup')`);
    await client.end();
    expect(await snapshot(database.url)).not.toEqual(original);

    execFileSync(
      join(TOOLS_BIN, 'pg_restore'),
      [...documentedRestoreOptions(), '--dbname', database.url, join(backupDir, dumps[dumps.length - 1])],
      { encoding: 'utf8' },
    );
    expect(await snapshot(database.url)).toEqual(original);

    // The documented last step: migrations run on the restored database.
    expect((await runWorker(['migrate'], { DATABASE_URL: database.url })).code).toBe(0);
  });
});
