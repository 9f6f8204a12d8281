import { ConfigValidationError, loadConfig } from './app-config';
import { environmentVariableNames } from './environment';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('configuration was accepted');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.database.target).toEqual({ kind: 'embedded', directory: '.data' });
    expect(config.database.poolMax).toBe(10);
    expect(config.http).toEqual({
      port: 8080,
      host: '0.0.0.0',
      drainSeconds: 5,
      trustProxy: ['loopback', 'linklocal', 'uniquelocal'],
      rateLimitPerMinute: 600,
    });
    expect(config.metrics.timezone).toBe('UTC');
    expect(config.privacy.storeMessageText).toBe(false);
    expect(config.import.maxFileMib).toBe(1024);
    expect(config.log.level).toBe('info');
    expect(config.slack.apiUrl).toBe('https://slack.com/api/');
  });

  it('parses typed values', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:pw@db.internal:5433/metrics',
      DB_POOL_MAX: '25',
      PORT: '9000',
      API_TOKENS: 'read-token-0123456789, read-token-abcdefghij',
      API_ADMIN_TOKENS: 'admin-token-0123456789',
      STORE_MESSAGE_TEXT: 'true',
      METRICS_TIMEZONE: 'Asia/Tokyo',
      SHUTDOWN_DRAIN_SECONDS: '12',
      IMPORT_MAX_FILE_MIB: '64',
    });
    expect(config.database).toEqual({
      target: { kind: 'url', url: 'postgres://app:pw@db.internal:5433/metrics', ssl: false },
      poolMax: 25,
    });
    expect(config.http.port).toBe(9000);
    expect(config.http.drainSeconds).toBe(12);
    expect(config.auth).toEqual({
      readTokens: ['read-token-0123456789', 'read-token-abcdefghij'],
      adminTokens: ['admin-token-0123456789'],
    });
    expect(config.privacy.storeMessageText).toBe(true);
    expect(config.metrics.timezone).toBe('Asia/Tokyo');
    expect(config.import.maxFileMib).toBe(64);
  });

  it('builds a database target from the split DB_* variables', () => {
    const config = loadConfig({ DB_HOST: 'postgres', DB_USER: 'app', DB_PASSWORD: 'secret', DB_NAME: 'metrics', DB_SSL: 'true' });
    expect(config.database.target).toEqual({
      kind: 'params',
      host: 'postgres',
      port: 5432,
      user: 'app',
      password: 'secret',
      database: 'metrics',
      ssl: true,
    });
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://nope',
      DB_POOL_MAX: '0',
      PORT: 'eighty',
      METRICS_TIMEZONE: 'Mars/Olympus_Mons',
      STORE_MESSAGE_TEXT: 'maybe',
      LOG_LEVEL: 'loud',
      API_TOKENS: 'short',
      SLACK_API_URL: 'ftp://slack',
      SHUTDOWN_DRAIN_SECONDS: '-1',
      COLLECT_CRON: 'often',
      IMPORT_MAX_FILE_MIB: '1.5',
    });
    const named = problems.map((problem) => problem.split('=')[0]).sort();
    expect(named).toEqual(
      [
        'API_TOKENS',
        'COLLECT_CRON',
        'DATABASE_URL',
        'DB_POOL_MAX',
        'IMPORT_MAX_FILE_MIB',
        'LOG_LEVEL',
        'METRICS_TIMEZONE',
        'PORT',
        'SHUTDOWN_DRAIN_SECONDS',
        'SLACK_API_URL',
        'STORE_MESSAGE_TEXT',
      ].sort(),
    );
  });

  it('never prints secret values in its message', () => {
    const problems = problemsOf({ API_ADMIN_TOKENS: 'leaky', DATABASE_URL: 'http://user:hunter2@db' });
    const message = problems.join('\n');
    expect(message).not.toContain('leaky');
    expect(message).not.toContain('hunter2');
    expect(message).toContain('API_ADMIN_TOKENS=(value hidden)');
  });

  it('refuses two ways of naming the database at once', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://db/x', DB_HOST: 'db' })).toEqual([
      'DATABASE_URL and DB_HOST are both set: use one way of naming the database',
    ]);
  });

  it('lists every variable it reads', () => {
    expect(environmentVariableNames()).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'DB_POOL_MAX',
        'PORT',
        'API_TOKENS',
        'API_ADMIN_TOKENS',
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'SLACK_API_URL',
        'METRICS_TIMEZONE',
        'STORE_MESSAGE_TEXT',
        'IMPORT_MAX_FILE_MIB',
        'LOG_LEVEL',
      ]),
    );
  });
});
