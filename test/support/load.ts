import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadReport {
  sent: number;
  succeeded: number;
  failed: number;
  statuses: Record<string, number>;
  maxLatencyMs: number;
}

/**
 * A bounded, steady load from `concurrency` keep-alive clients against one
 * URL, as a load balancer would send it: each client stops starting new
 * requests once `shouldSend()` says so, and the whole load stops by itself
 * after `maxDurationMs`. `pauseMs` between a client's requests keeps the rate
 * under a rate limit.
 */
export async function steadyLoad(options: {
  url: string;
  headers?: Record<string, string>;
  concurrency: number;
  maxDurationMs: number;
  shouldSend: () => boolean;
  pauseMs?: number;
  isSuccess?: (status: number) => boolean;
}): Promise<LoadReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const report: LoadReport = { sent: 0, succeeded: 0, failed: 0, statuses: {}, maxLatencyMs: 0 };
  const isSuccess = options.isSuccess ?? ((status: number) => status >= 200 && status < 300);
  const deadline = Date.now() + options.maxDurationMs;
  const one = () =>
    new Promise<string>((resolve) => {
      const req = request(options.url, { agent, headers: options.headers, timeout: 10_000 }, (response) => {
        response.resume();
        response.once('end', () => resolve(String(response.statusCode)));
      });
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
  const client = async () => {
    while (Date.now() < deadline && options.shouldSend()) {
      report.sent++;
      const started = Date.now();
      const outcome = await one();
      report.maxLatencyMs = Math.max(report.maxLatencyMs, Date.now() - started);
      report.statuses[outcome] = (report.statuses[outcome] ?? 0) + 1;
      if (isSuccess(Number(outcome))) report.succeeded++;
      else report.failed++;
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  agent.destroy();
  return report;
}
