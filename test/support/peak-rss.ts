import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A running child's peak resident set in MiB, polled from /proc (VmHWM, a
 * high-water mark, so only growth in the last interval before exit can be
 * missed) until it exits.
 */
export function samplePeakRss(child: ChildProcess): () => number {
  let peakKib = 0;
  const timer = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peakKib = Math.max(peakKib, Number(match[1]));
    } catch {
      // The process has exited between two samples.
    }
  }, 10);
  child.once('exit', () => clearInterval(timer));
  return () => peakKib / 1024;
}
