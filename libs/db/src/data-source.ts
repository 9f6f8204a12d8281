import type { ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { MIGRATIONS } from './migrations';
import { TypeOrmLogger } from './typeorm-logger';

/** Where to connect, once any embedded server is running. */
export type DatabaseEndpoint =
  { url: string; ssl: boolean } | { host: string; port: number; user?: string; password?: string; database?: string; ssl: boolean };

export interface DataSourceSettings {
  /** Absent while the endpoint is still unknown (the embedded server starts on first use). */
  endpoint?: DatabaseEndpoint;
  poolMax: number;
  applicationName: string;
  /** Statements slower than this are logged as warnings (default 2 s; batch work sets more). */
  slowQueryMs?: number;
}

/**
 * The connection fields of the DataSource options for an endpoint. TypeORM
 * names the role `username` and drops a `user` field, after which `pg` falls
 * back to the operating system's user name (or sends none at all).
 */
export function endpointOptions(endpoint: DatabaseEndpoint): Partial<PostgresDataSourceOptions> {
  const tls = endpoint.ssl ? { rejectUnauthorized: true } : false;
  if ('url' in endpoint) return { url: endpoint.url, ssl: tls };
  const { host, port, user, password, database } = endpoint;
  return { host, port, username: user, password, database, ssl: tls };
}

/**
 * pg's settings for one connection to the server, role, database and TLS of
 * a DataSource's options, mapped as TypeORM maps them for its pool, and with
 * the same name and connect timeout: a session opened beside the pool (see
 * openSession) connects exactly as the pool's connections do.
 */
export function sessionConfig(options: PostgresDataSourceOptions): ClientConfig {
  // The pool's own settings mean nothing to a single connection.
  const { max: _max, idleTimeoutMillis: _idleTimeoutMillis, ...connection } = (options.extra ?? {}) as Record<string, unknown>;
  return {
    connectionString: options.url,
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    database: options.database,
    // Handed to pg unchanged by TypeORM too; endpointOptions sets false or { rejectUnauthorized: true }.
    ssl: options.ssl as ClientConfig['ssl'],
    application_name: options.applicationName,
    ...connection,
  };
}

/**
 * The options of the one DataSource every process uses: the api, the worker
 * commands and the migration command alike.
 */
export function dataSourceOptions({
  endpoint,
  poolMax,
  applicationName,
  slowQueryMs = 2000,
}: DataSourceSettings): PostgresDataSourceOptions {
  return {
    type: 'postgres',
    ...(endpoint ? endpointOptions(endpoint) : {}),
    applicationName,
    // No entities: the migrations are the schema, and every query is SQL. With none,
    // `synchronize` and `migration:generate` find nothing to change (test/schema.e2e-spec.ts).
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsRun: false,
    synchronize: false,
    logger: new TypeOrmLogger(),
    logging: ['error', 'warn', 'migration'],
    maxQueryExecutionTime: slowQueryMs,
    extra: {
      max: poolMax,
      // Fail fast while the database is away instead of queueing requests.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
      keepAlive: true,
    },
  };
}

export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}
