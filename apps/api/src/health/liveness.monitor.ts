import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { reusedBody } from '../common/reused-json';

/** A process whose heap grows past this is restarted rather than left to thrash. */
export const HEAP_LIMIT_BYTES = 1536 * 1024 * 1024;
/** A loop blocked this long serves nobody; restart it. */
export const EVENT_LOOP_DELAY_LIMIT_MS = 5000;
export const SAMPLE_INTERVAL_MS = 1000;
/** Delays are judged over the current and the previous window of this many samples. */
export const SAMPLES_PER_WINDOW = 5;

/** The part of Node's event-loop delay histogram the monitor reads. */
export type LoopDelayHistogram = Pick<ReturnType<typeof monitorEventLoopDelay>, 'count' | 'percentile' | 'reset' | 'enable' | 'disable'>;
/** Injection token for another histogram than the process's own (tests give one whose delays they set). */
export const LOOP_DELAY_HISTOGRAM = 'LOOP_DELAY_HISTOGRAM';

type Check = { status: 'up' } | { status: 'down'; message: string } | { status: 'up' | 'down'; delayP99Ms: number };

/** Liveness in Terminus' response shape. */
export interface LivenessReport {
  status: 'ok' | 'error';
  info: Record<string, Check>;
  error: Record<string, Check>;
  details: Record<string, Check>;
}

export function livenessReport(heapUsedBytes: number, delayP99Ms: number): LivenessReport {
  const details: Record<string, Check> = {
    heap: heapUsedBytes <= HEAP_LIMIT_BYTES ? { status: 'up' } : { status: 'down', message: 'Used heap exceeded the set threshold' },
    eventLoop: { status: delayP99Ms < EVENT_LOOP_DELAY_LIMIT_MS ? 'up' : 'down', delayP99Ms },
  };
  const info: Record<string, Check> = {};
  const error: Record<string, Check> = {};
  for (const [name, check] of Object.entries(details)) (check.status === 'up' ? info : error)[name] = check;
  return { status: Object.keys(error).length === 0 ? 'ok' : 'error', info, error, details };
}

/**
 * Heap use and event-loop delay, sampled every second. Liveness is probed
 * often and should cost no more than a trivial route, so a probe reads the
 * last sample instead of reading the heap and a delay percentile itself; the
 * sample is a reused body, serialized once for every probe that reads it.
 */
@Injectable()
export class LivenessMonitor implements OnModuleDestroy {
  private previousWindowP99Ms = 0;
  private samplesInWindow = 0;
  private readonly timer: NodeJS.Timeout;
  private lastSample: LivenessReport;

  constructor(
    @Optional() @Inject(LOOP_DELAY_HISTOGRAM) private readonly loopDelay: LoopDelayHistogram = monitorEventLoopDelay({ resolution: 20 }),
  ) {
    this.loopDelay.enable();
    this.lastSample = this.sample();
    this.timer = setInterval(() => (this.lastSample = this.sample()), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  get latest(): LivenessReport {
    return this.lastSample;
  }

  private sample(): LivenessReport {
    const currentP99Ms = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0;
    const delayP99Ms = Math.round(Math.max(this.previousWindowP99Ms, currentP99Ms));
    if (++this.samplesInWindow === SAMPLES_PER_WINDOW) {
      this.previousWindowP99Ms = currentP99Ms;
      this.samplesInWindow = 0;
      this.loopDelay.reset();
    }
    return reusedBody(livenessReport(getHeapStatistics().used_heap_size, delayP99Ms));
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.loopDelay.disable();
  }
}
