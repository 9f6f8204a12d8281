import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay over the last sampling window, read by the liveness check. */
@Injectable()
export class EventLoopMonitor implements OnModuleDestroy {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastWindowP99Ms = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.lastWindowP99Ms = this.histogram.percentile(99) / 1e6;
      this.histogram.reset();
    }, 5000);
    this.timer.unref();
  }

  get delayP99Ms(): number {
    return Math.max(this.lastWindowP99Ms, this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
