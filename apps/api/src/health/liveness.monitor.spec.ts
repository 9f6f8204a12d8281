import { EVENT_LOOP_DELAY_LIMIT_MS, HEAP_LIMIT_BYTES, LivenessMonitor, livenessReport } from './liveness.monitor';

describe('livenessReport', () => {
  it('is ok within both limits, listing every check as up', () => {
    expect(livenessReport(HEAP_LIMIT_BYTES, EVENT_LOOP_DELAY_LIMIT_MS - 1)).toEqual({
      status: 'ok',
      info: { heap: { status: 'up' }, eventLoop: { status: 'up', delayP99Ms: EVENT_LOOP_DELAY_LIMIT_MS - 1 } },
      error: {},
      details: { heap: { status: 'up' }, eventLoop: { status: 'up', delayP99Ms: EVENT_LOOP_DELAY_LIMIT_MS - 1 } },
    });
  });

  it('names the check that failed', () => {
    const report = livenessReport(HEAP_LIMIT_BYTES + 1, 3);
    expect(report.status).toBe('error');
    expect(report.error).toEqual({ heap: { status: 'down', message: 'Used heap exceeded the set threshold' } });
    expect(report.info).toEqual({ eventLoop: { status: 'up', delayP99Ms: 3 } });
    expect(livenessReport(0, EVENT_LOOP_DELAY_LIMIT_MS).error).toEqual({ eventLoop: { status: 'down', delayP99Ms: EVENT_LOOP_DELAY_LIMIT_MS } });
  });
});

describe('LivenessMonitor', () => {
  it('reports a blocked event loop at the next sample', async () => {
    const monitor = new LivenessMonitor();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const blockedUntil = Date.now() + 300;
      while (Date.now() < blockedUntil);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const report = monitor.latest;
      expect(report.details.eventLoop).toEqual({ status: 'up', delayP99Ms: expect.any(Number) });
      expect((report.details.eventLoop as { delayP99Ms: number }).delayP99Ms).toBeGreaterThanOrEqual(250);
      expect(Object.isFrozen(report.details)).toBe(true);
    } finally {
      monitor.onModuleDestroy();
    }
  });
});
