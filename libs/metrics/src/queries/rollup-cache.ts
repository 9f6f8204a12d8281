import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { DataSource } from 'typeorm';

/** Channel on which a committed aggregation run announces new rollups. */
export const ROLLUPS_CHANGED_CHANNEL = 'metrics_rollups_changed';

const MAX_ENTRIES = 2000;
const RELISTEN_DELAY_MS = 5000;

interface Notifying {
  query(sql: string): Promise<unknown>;
  on(event: 'notification' | 'error' | 'end', listener: (...args: unknown[]) => void): void;
  removeAllListeners(): void;
}

/**
 * Answers of rollup queries, kept until rollups change. Rollups only change
 * when an aggregation run commits, and every run NOTIFYs on commit, so a
 * process that LISTENs can serve repeated questions (dashboards refreshing)
 * without touching the database and still never serve numbers older than the
 * last commit it was told about. Without a live LISTEN connection nothing is
 * cached. An answer still being computed when a change arrives is dropped
 * with the rest.
 */
@Injectable()
export class RollupCache implements OnApplicationShutdown {
  private readonly logger = new Logger('RollupCache');
  private readonly entries = new Map<string, Promise<unknown>>();
  private listening = false;
  private connecting = false;
  private stopped = false;
  private release?: (error?: Error) => void;
  private client?: Notifying;
  private readonly emptiedListeners: Array<() => void> = [];

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The cached answer to `key`, or `compute`'s. Callers asking while an
   * answer is being computed share it: a dashboard's burst after a new
   * aggregation run costs one query per question, not one per request.
   */
  get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (!this.listening) {
      this.listen();
      return compute();
    }
    const cached = this.entries.get(key) as Promise<T> | undefined;
    if (cached) {
      // Re-insert: Map order doubles as least-recently-used order.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const answer = compute();
    this.entries.set(key, answer);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    // A failure is not an answer: the next caller asks again.
    answer.catch(() => {
      if (this.entries.get(key) === answer) this.entries.delete(key);
    });
    return answer;
  }

  /** Forgets every answer; called on NOTIFY and by an aggregation run in this process. */
  invalidate(): void {
    this.entries.clear();
  }

  /**
   * Calls `listener` whenever the cache starts over while listening (once LISTEN is up, and after
   * each announced change), when answers computed now stay until the next change. Connects the
   * listener now rather than on the first question.
   */
  onEmptied(listener: () => void): void {
    this.emptiedListeners.push(listener);
    this.listen();
  }

  private emptied(): void {
    this.invalidate();
    for (const listener of this.emptiedListeners) listener();
  }

  private listen(): void {
    if (this.connecting || this.stopped || !this.dataSource.isInitialized) return;
    this.connecting = true;
    void this.connectListener().finally(() => (this.connecting = false));
  }

  private async connectListener(): Promise<void> {
    try {
      const [client, release] = await (this.dataSource.driver as PostgresDriver).obtainMasterConnection();
      this.client = client as Notifying;
      this.release = release as (error?: Error) => void;
      const lost = (reason: unknown) => {
        if (!this.listening) return;
        this.listening = false;
        this.invalidate();
        this.client?.removeAllListeners();
        // Hand the broken connection back as broken so the pool drops it.
        this.release?.(reason instanceof Error ? reason : new Error('listener connection ended'));
        if (!this.stopped) this.logger.warn(`lost the ${ROLLUPS_CHANGED_CHANNEL} listener; caching is off until it is back`);
        if (!this.stopped) setTimeout(() => this.listen(), RELISTEN_DELAY_MS).unref();
      };
      this.client.on('notification', () => this.emptied());
      this.client.on('error', lost);
      this.client.on('end', lost);
      await this.client.query(`LISTEN ${ROLLUPS_CHANGED_CHANNEL}`);
      this.listening = true;
      // Whatever was computed before listening may predate a change we did not hear about.
      this.emptied();
    } catch (error) {
      this.logger.warn(`cannot LISTEN for rollup changes (${error instanceof Error ? error.message : String(error)}); answers are not cached`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    this.client?.removeAllListeners();
    this.release?.();
  }
}
