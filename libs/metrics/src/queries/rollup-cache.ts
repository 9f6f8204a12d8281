import { openSession } from '@app/db';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ROLLUPS_CHANGED_CHANNEL } from '../rollups-changed';

const MAX_ENTRIES = 2000;
const RELISTEN_DELAY_MS = 5000;

/**
 * Answers of rollup queries, kept until rollups change. Rollups only change
 * when an aggregation run commits, and every run NOTIFYs on commit, so a
 * process that LISTENs can serve repeated questions (dashboards refreshing)
 * without touching the database and still never serve numbers older than the
 * last commit it was told about. It LISTENs on a session of its own (see
 * openSession), opened again after it is lost; without a live one nothing is
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
  private session?: Client;
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
    const session = await openSession(this.dataSource).catch((error: unknown) => this.cannotListen(error));
    if (!session) return;
    this.session = session;
    try {
      const lost = () => {
        if (!this.listening) return;
        this.listening = false;
        this.invalidate();
        session.removeAllListeners('notification');
        void session.end().catch(() => undefined);
        if (!this.stopped) this.logger.warn(`lost the ${ROLLUPS_CHANGED_CHANNEL} listener; caching is off until it is back`);
        if (!this.stopped) setTimeout(() => this.listen(), RELISTEN_DELAY_MS).unref();
      };
      session.on('notification', () => this.emptied());
      session.on('error', lost);
      session.on('end', lost);
      await session.query(`LISTEN ${ROLLUPS_CHANGED_CHANNEL}`);
      this.listening = true;
      // Whatever was computed before listening may predate a change we did not hear about.
      this.emptied();
    } catch (error) {
      void session.end().catch(() => undefined);
      this.cannotListen(error);
    }
  }

  private cannotListen(error: unknown): undefined {
    this.logger.warn(
      `cannot LISTEN for rollup changes (${error instanceof Error ? error.message : String(error)}); answers are not cached`,
    );
    return undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    await this.session?.end().catch(() => undefined);
  }
}
