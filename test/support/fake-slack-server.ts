/**
 * A fake Slack Web API on 127.0.0.1 for tests: a real HTTP server answering
 * the methods the collector calls from in-memory data, the way Slack does —
 * bearer-token check, form-encoded arguments, cursor pagination with
 * `response_metadata.next_cursor`, history newest first, replies oldest first
 * with the parent on top, `oldest`/`inclusive` filtering. It records every
 * request, can answer a call with 429 + `Retry-After`, and can fail a channel.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeMessage {
  ts: string;
  [field: string]: unknown;
}

export interface FakeSlackData {
  team: { id: string; name: string; domain: string };
  channels: object[];
  users: object[];
  /** Per channel, what conversations.history shows: top-level messages and broadcast replies. */
  history: Record<string, FakeMessage[]>;
  /** Per channel and thread ts, the thread's replies (the parent comes from `history`). */
  replies: Record<string, Record<string, FakeMessage[]>>;
}

export interface RecordedRequest {
  method: string;
  params: Record<string, string>;
  /** The status the fake answered with (429 for a rate-limited call). */
  status: number;
}

export interface FakeSlackOptions {
  token: string;
  /** Most items a page holds, whatever `limit` the client asks for. */
  pageSize: number;
}

function compareTs(left: string, right: string): number {
  return Number(left) - Number(right);
}

export class FakeSlackServer {
  readonly requests: RecordedRequest[] = [];
  private readonly rateLimited = new Map<string, number>();
  private readonly failingChannels = new Map<string, string>();
  private readonly failingCalls: { method: string; matches: (params: Record<string, string>) => boolean; error: string }[] = [];

  private constructor(
    private readonly server: Server,
    readonly data: FakeSlackData,
    private readonly options: FakeSlackOptions,
  ) {}

  static async start(data: FakeSlackData, options: FakeSlackOptions): Promise<FakeSlackServer> {
    const server = createServer();
    const fake = new FakeSlackServer(server, data, options);
    server.on('request', (request, response) => void fake.handle(request, response));
    await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
    return fake;
  }

  /** Base URL for SLACK_API_URL. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  /** The next `times` calls of `method` are answered 429 with `Retry-After: seconds`. */
  rateLimitNext(method: string, times = 1): void {
    this.rateLimited.set(method, (this.rateLimited.get(method) ?? 0) + times);
  }

  /** Every history and replies call on `channelId` answers `{ ok: false, error }`. */
  failChannel(channelId: string, error: string): void {
    this.failingChannels.set(channelId, error);
  }

  /** The next call of `method` whose arguments match answers `{ ok: false, error }`. */
  failNextCall(method: string, matches: (params: Record<string, string>) => boolean, error: string): void {
    this.failingCalls.push({ method, matches, error });
  }

  /** The recorded calls of one method (rate-limited ones included). */
  calls(method: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method);
  }

  close(): Promise<void> {
    return new Promise((resolveClose) => this.server.close(() => resolveClose()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, params, status });
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };

    if (request.method !== 'POST' || !request.url?.startsWith('/api/')) return send(404, { ok: false, error: 'unknown_method' });
    if (request.headers.authorization !== `Bearer ${this.options.token}`) return send(200, { ok: false, error: 'invalid_auth' });
    const limited = this.rateLimited.get(method) ?? 0;
    if (limited > 0) {
      this.rateLimited.set(method, limited - 1);
      return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    }
    const failing = this.failingCalls.findIndex((call) => call.method === method && call.matches(params));
    if (failing >= 0) {
      const [call] = this.failingCalls.splice(failing, 1);
      return send(200, { ok: false, error: call.error });
    }
    const channelError = params.channel ? this.failingChannels.get(params.channel) : undefined;
    if (channelError && (method === 'conversations.history' || method === 'conversations.replies'))
      return send(200, { ok: false, error: channelError });

    switch (method) {
      case 'team.info':
        return send(200, { ok: true, team: this.data.team });
      case 'conversations.list':
        return send(200, { ok: true, ...this.offsetPage(this.data.channels, params, 'channels') });
      case 'users.list':
        return send(200, { ok: true, ...this.offsetPage(this.data.users, params, 'members') });
      case 'conversations.history':
        return send(200, this.history(params));
      case 'conversations.replies':
        return send(200, this.replies(params));
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  }

  private pageSize(params: Record<string, string>): number {
    return Math.min(Number(params.limit) || this.options.pageSize, this.options.pageSize);
  }

  private offsetPage(items: unknown[], params: Record<string, string>, key: string): Record<string, unknown> {
    const start = params.cursor ? Number(Buffer.from(params.cursor, 'base64').toString().replace('offset:', '')) : 0;
    const end = start + this.pageSize(params);
    const next = end < items.length ? Buffer.from(`offset:${end}`).toString('base64') : '';
    return { [key]: items.slice(start, end), response_metadata: { next_cursor: next } };
  }

  /** Newest first; a cursor carries the ts to continue below, so messages posted meanwhile do not shift pages. */
  private history(params: Record<string, string>): Record<string, unknown> {
    const messages = this.data.history[params.channel];
    if (!messages) return { ok: false, error: 'channel_not_found' };
    const inclusive = params.inclusive === 'true' || params.inclusive === '1';
    const below = params.cursor ? Buffer.from(params.cursor, 'base64').toString().replace('next_ts:', '') : undefined;
    const matching = messages
      .filter(
        (message) => !params.oldest || (inclusive ? compareTs(message.ts, params.oldest) >= 0 : compareTs(message.ts, params.oldest) > 0),
      )
      .filter((message) => !below || compareTs(message.ts, below) < 0)
      .sort((left, right) => compareTs(right.ts, left.ts));
    const page = matching.slice(0, this.pageSize(params));
    const hasMore = matching.length > page.length;
    return {
      ok: true,
      messages: page,
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? Buffer.from(`next_ts:${page[page.length - 1].ts}`).toString('base64') : '' },
    };
  }

  /** The parent on top of every page, then replies oldest first. */
  private replies(params: Record<string, string>): Record<string, unknown> {
    const parent = this.data.history[params.channel]?.find((message) => message.ts === params.ts);
    if (!parent) return { ok: false, error: 'thread_not_found' };
    const after = params.cursor ? Buffer.from(params.cursor, 'base64').toString().replace('after_ts:', '') : undefined;
    const replies = (this.data.replies[params.channel]?.[params.ts] ?? [])
      .filter((reply) => !params.oldest || compareTs(reply.ts, params.oldest) > 0)
      .filter((reply) => !after || compareTs(reply.ts, after) > 0)
      .sort((left, right) => compareTs(left.ts, right.ts));
    const page = replies.slice(0, this.pageSize(params));
    const hasMore = replies.length > page.length;
    return {
      ok: true,
      messages: [parent, ...page],
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? Buffer.from(`after_ts:${page[page.length - 1].ts}`).toString('base64') : '' },
    };
  }
}
