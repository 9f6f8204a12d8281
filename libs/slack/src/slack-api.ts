import type { Telemetry } from '@app/observability';
import { Logger as NestLogger } from '@nestjs/common';
import { Logger, LogLevel, RetryOptions, WebAPICallResult, WebAPIPlatformError, WebClient, WebClientEvent } from '@slack/web-api';

/**
 * How the client retries. A 429 is retried after the client has already
 * slept for Retry-After, so this backoff only adds a short pause on top; it
 * also covers network errors and 5xx answers, where six tries spread over
 * about half a minute ride out a blip without hammering Slack.
 */
export const SLACK_RETRY_POLICY: RetryOptions = { retries: 6, factor: 2, minTimeout: 250, maxTimeout: 15_000, randomize: true };

/** Without a response in this time a call is abandoned (and retried by the policy). */
const REQUEST_TIMEOUT_MS = 30_000;

/** The client's own log lines, at debug level only: they may name URLs and are noisy on rate limits. */
function quietLogger(): Logger {
  const logger = new NestLogger('SlackWebApi');
  let level = LogLevel.ERROR;
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...message: unknown[]) => logger.debug(message.map(String).join(' ')),
    error: (...message: unknown[]) => logger.warn(message.map(String).join(' ')),
    setLevel: (next: LogLevel) => (level = next),
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** The error code of a Slack `{ ok: false, error }` answer, if that is what `error` is. */
export function slackErrorCode(error: unknown): string | undefined {
  return error instanceof WebAPIPlatformError ? error.data.error : undefined;
}

export interface SlackPage extends WebAPICallResult {
  [key: string]: unknown;
}

/**
 * The official Web API client with this service's retry policy, counting
 * every call and every rate-limit wait in the application metrics.
 */
export class SlackApi {
  readonly client: WebClient;

  constructor(
    token: string,
    apiUrl: string,
    private readonly telemetry: Telemetry,
  ) {
    this.client = new WebClient(token, {
      slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
      retryConfig: SLACK_RETRY_POLICY,
      rejectRateLimitedCalls: false,
      timeout: REQUEST_TIMEOUT_MS,
      logger: quietLogger(),
      logLevel: LogLevel.ERROR,
    });
    this.client.on(WebClientEvent.RATE_LIMITED, (retryAfterSeconds: number, request: { url?: string }) => {
      this.telemetry.recordRateLimitWait(retryAfterSeconds);
      this.telemetry.recordSlackCall(methodOfUrl(request?.url), 'rate_limited');
    });
  }

  async call(method: string, args: Record<string, unknown>): Promise<SlackPage> {
    try {
      const result = (await this.client.apiCall(method, args)) as SlackPage;
      this.telemetry.recordSlackCall(method, 'ok');
      return result;
    } catch (error) {
      this.telemetry.recordSlackCall(method, 'error');
      throw error;
    }
  }

  /** Every page of a cursor-paginated method, starting at `cursor` when resuming. */
  async *pages(method: string, args: Record<string, unknown>, cursor?: string): AsyncGenerator<SlackPage> {
    let next = cursor;
    do {
      const page = await this.call(method, next ? { ...args, cursor: next } : args);
      yield page;
      next = nextCursor(page);
    } while (next);
  }
}

export function nextCursor(page: WebAPICallResult): string | undefined {
  const cursor = page.response_metadata?.next_cursor;
  return cursor ? cursor : undefined;
}

function methodOfUrl(url: string | undefined): string {
  const method = url?.split('/').pop();
  return method && /^[a-z]+(\.[a-zA-Z]+)+$/.test(method) ? method : 'unknown';
}
