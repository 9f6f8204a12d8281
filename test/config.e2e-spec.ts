import { runWorker } from './support/processes';

describe('start-up configuration check', () => {
  it('stops the process with one message naming every bad variable', async () => {
    const result = await runWorker(['migrate'], {
      PORT: 'http',
      DB_POOL_MAX: '1000',
      METRICS_TIMEZONE: 'Nowhere/Special',
      API_ADMIN_TOKENS: 'tiny',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    for (const variable of ['PORT', 'DB_POOL_MAX', 'METRICS_TIMEZONE', 'API_ADMIN_TOKENS']) {
      expect(result.stderr).toContain(`${variable}=`);
    }
    expect(result.stderr).not.toContain('tiny');
  });

  it('lists the worker commands in --help without touching a database', async () => {
    const result = await runWorker(['--help'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: worker \[options\] \[command\]/);
    for (const command of ['migrate', 'collect', 'import', 'aggregate', 'run', 'demo']) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
