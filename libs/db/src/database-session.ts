import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { sessionConfig } from './data-source';

/**
 * A connection of its own, beside the DataSource's pool, for what belongs to
 * a session rather than to a query: an advisory lock held for a whole job,
 * LISTEN. It takes no connection from the pool, so a job holding a lock can
 * still use every pooled one, and ending it ends whatever the session held.
 * The caller ends it.
 */
export async function openSession(dataSource: DataSource): Promise<Client> {
  const client = new Client(sessionConfig(dataSource.options as PostgresDataSourceOptions));
  // pg reports a connection lost between queries as an 'error' event, which would end the process
  // if nobody listened; the session's next query fails with it, and 'end' tells those who wait.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}
