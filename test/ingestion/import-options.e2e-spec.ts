import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { runWorker } from '../support/processes';

describe('worker import options', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('import_options');
    dataSource = await migratedDataSource(database);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it.each([
    ['100 characters', 'T'.repeat(100)],
    ['a space', 'T 1'],
    ['NUL', 'T1\u0001'],
  ])('refuses a --team-id of %s before reading the export, storing nothing', async (_case, teamId) => {
    const run = await runWorker(['import', 'no-such-export.zip', '--team-id', teamId], { DATABASE_URL: database.url });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain('--team-id must be a Slack team id (letters, digits, _ or -, at most 64)');
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM workspaces`)).toEqual([{ n: 0 }]);
  });
});
