import {
  EVENT_LOOP_DELAY_LIMIT_MS,
  HEAP_LIMIT_BYTES,
  LivenessMonitor,
  livenessReport,
  type LoopDelayHistogram,
  SAMPLE_INTERVAL_MS,
  SAMPLES_PER_WINDOW,
} from './liveness.monitor';

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
    expect(livenessReport(0, EVENT_LOOP_DELAY_LIMIT_MS).error).toEqual({
      eventLoop: { status: 'down', delayP99Ms: EVENT_LOOP_DELAY_LIMIT_MS },
    });
  });
});

/** A histogram whose recorded delays the test sets, as a blocked loop would leave them. */
class RecordedDelays implements LoopDelayHistogram {
  private delaysMs: number[] = [];
  enabled = false;

  record(delayMs: number): void {
    this.delaysMs.push(delayMs);
  }

  get count(): number {
    return this.delaysMs.length;
  }

  percentile(percentile: number): number {
    const sorted = [...this.delaysMs].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1)] * 1e6;
  }

  reset(): void {
    this.delaysMs = [];
  }

  enable(): boolean {
    return (this.enabled = true);
  }

  disable(): boolean {
    this.enabled = false;
    return true;
  }
}

describe('LivenessMonitor', () => {
  let delays: RecordedDelays;
  let monitor: LivenessMonitor;
  const delayP99Ms = () => (monitor.latest.details.eventLoop as { delayP99Ms: number }).delayP99Ms;

  beforeEach(() => {
    jest.useFakeTimers();
    delays = new RecordedDelays();
    monitor = new LivenessMonitor(delays);
  });

  afterEach(() => {
    monitor.onModuleDestroy();
    jest.useRealTimers();
  });

  it('reports a blocked event loop at the next sample, not before', () => {
    expect(delays.enabled).toBe(true);
    expect(delayP99Ms()).toBe(0);
    delays.record(300);
    expect(delayP99Ms()).toBe(0);
    jest.advanceTimersByTime(SAMPLE_INTERVAL_MS);
    expect(monitor.latest.details.eventLoop).toEqual({ status: 'up', delayP99Ms: 300 });
    expect(Object.isFrozen(monitor.latest.details)).toBe(true);
  });

  it('keeps a delay for the next window, then forgets it', () => {
    delays.record(EVENT_LOOP_DELAY_LIMIT_MS + 100);
    jest.advanceTimersByTime(SAMPLE_INTERVAL_MS);
    expect(monitor.latest.status).toBe('error');
    // The constructor's sample is the window's first: this window ends after SAMPLES_PER_WINDOW - 1 timer samples.
    jest.advanceTimersByTime((SAMPLES_PER_WINDOW - 2) * SAMPLE_INTERVAL_MS);
    expect(delays.count).toBe(0);
    jest.advanceTimersByTime(SAMPLES_PER_WINDOW * SAMPLE_INTERVAL_MS);
    expect(delayP99Ms()).toBe(EVENT_LOOP_DELAY_LIMIT_MS + 100);
    expect(monitor.latest.status).toBe('error');
    jest.advanceTimersByTime(SAMPLE_INTERVAL_MS);
    expect(monitor.latest).toMatchObject({ status: 'ok', details: { eventLoop: { status: 'up', delayP99Ms: 0 } } });
  });

  it('stops sampling when the module is destroyed', () => {
    monitor.onModuleDestroy();
    expect(delays.enabled).toBe(false);
    delays.record(300);
    jest.advanceTimersByTime(10 * SAMPLE_INTERVAL_MS);
    expect(delayP99Ms()).toBe(0);
  });
});
