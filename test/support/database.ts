import { createDataSource, runPendingMigrations } from '@app/db';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (its global setup starts PostgreSQL)');
  return url;
}

/** A fresh, empty database on the test server, so test files never see each other's rows. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A connected DataSource with the schema applied, on a fresh database. */
export async function migratedDataSource(database: TestDatabase): Promise<DataSource> {
  const dataSource = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 5, applicationName: 'test' });
  await dataSource.initialize();
  await runPendingMigrations(dataSource);
  return dataSource;
}

/** How the chart names a database: host, port, a role of its own with a password, and the name. */
export interface DatabaseLogin {
  host: string;
  port: string;
  role: string;
  password: string;
  name: string;
}

/** A login role that owns nothing yet and may create tables in `database`, as an operator would make one. */
export async function createLoginRole(database: TestDatabase): Promise<DatabaseLogin> {
  const url = new URL(database.url);
  const name = url.pathname.slice(1);
  const login = { host: url.hostname, port: url.port, role: `app_${name}`, password: `pw-${randomBytes(9).toString('hex')}`, name };
  const admin = new Client({ connectionString: database.url });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${login.role} LOGIN PASSWORD '${login.password}'`);
    await admin.query(`GRANT ALL ON SCHEMA public TO ${login.role}`);
  } finally {
    await admin.end();
  }
  return login;
}
