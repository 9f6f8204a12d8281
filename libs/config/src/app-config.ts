import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { EnvironmentVariables, LogLevel } from './environment';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export type DatabaseTarget =
  | { kind: 'url'; url: string; ssl: boolean }
  | { kind: 'params'; host: string; port: number; user?: string; password?: string; database?: string; ssl: boolean }
  | { kind: 'embedded'; directory: string };

/** The validated, typed configuration every process reads instead of process.env. */
export class AppConfig {
  readonly database: { target: DatabaseTarget; poolMax: number };
  readonly http: { port: number; host: string; drainSeconds: number; trustProxy: boolean | string[]; rateLimitPerMinute: number };
  readonly auth: { readTokens: string[]; adminTokens: string[] };
  readonly slack: { botToken?: string; signingSecret?: string; apiUrl: string };
  readonly metrics: { timezone: string; warmWorkspaces: number };
  readonly privacy: { storeMessageText: boolean };
  readonly import: { maxFileMib: number };
  readonly log: { level: LogLevel };
  readonly schedule: { collectCron: string; aggregateCron: string };

  constructor(env: EnvironmentVariables) {
    this.database = { target: databaseTarget(env), poolMax: env.DB_POOL_MAX };
    this.http = {
      port: env.PORT,
      host: env.HOST,
      drainSeconds: env.SHUTDOWN_DRAIN_SECONDS,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    };
    this.auth = { readTokens: env.API_TOKENS, adminTokens: env.API_ADMIN_TOKENS };
    this.slack = { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, apiUrl: env.SLACK_API_URL };
    this.metrics = { timezone: env.METRICS_TIMEZONE, warmWorkspaces: env.CACHE_WARM_WORKSPACES };
    this.privacy = { storeMessageText: env.STORE_MESSAGE_TEXT };
    this.import = { maxFileMib: env.IMPORT_MAX_FILE_MIB };
    this.log = { level: env.LOG_LEVEL };
    this.schedule = { collectCron: env.COLLECT_CRON, aggregateCron: env.AGGREGATE_CRON };
  }
}

function parseTrustProxy(value: string): boolean | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function databaseTarget(env: EnvironmentVariables): DatabaseTarget {
  if (env.DATABASE_URL) return { kind: 'url', url: env.DATABASE_URL, ssl: env.DB_SSL };
  if (env.DB_HOST) {
    return {
      kind: 'params',
      host: env.DB_HOST,
      port: env.DB_PORT,
      user: env.DB_USER,
      password: env.DB_PASSWORD,
      database: env.DB_NAME,
      ssl: env.DB_SSL,
    };
  }
  return { kind: 'embedded', directory: env.EMBEDDED_PG_DIR };
}

function describe(errors: ValidationError[], env: Record<string, string | undefined>): string[] {
  return errors.flatMap((error) => {
    const shown = /TOKEN|SECRET|PASSWORD|DATABASE_URL/.test(error.property) ? '(value hidden)' : JSON.stringify(env[error.property]);
    return Object.values(error.constraints ?? {}).map((message) => `${error.property}=${shown}: ${message}`);
  });
}

/**
 * Reads the environment once. Every problem is collected before failing so an
 * operator fixes a deployment in one round trip.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const variables = plainToInstance(EnvironmentVariables, present, { exposeDefaultValues: true });
  const errors = validateSync(variables, { forbidUnknownValues: true, stopAtFirstError: true });
  const problems = describe(errors, env);
  if (variables.DATABASE_URL && variables.DB_HOST) {
    problems.push('DATABASE_URL and DB_HOST are both set: use one way of naming the database');
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return new AppConfig(variables);
}
