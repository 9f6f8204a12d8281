import { AppConfig } from '@app/config';
import { DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Logger as PinoNestLogger, LoggerModule, Params, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import pino, { Logger } from 'pino';
import pretty from 'pino-pretty';
import { REDACTED, scrubbingStream } from './secret-scrubber';

/** Probe and scrape paths: frequent, from the cluster itself, neither logged nor rate-limited. */
export const PROBE_PATH = /^\/(health\/(live|ready)|metrics)(\?|$)/;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.signingSecret',
  '*.botToken',
  '*.text',
];

/** Every secret value the configuration holds, for the scrubbing stream. */
export function configuredSecrets(config: AppConfig): string[] {
  const target = config.database.target;
  const databasePassword =
    target.kind === 'params' ? target.password : target.kind === 'url' ? decodeURIComponent(new URL(target.url).password) : undefined;
  return [
    ...config.auth.readTokens,
    ...config.auth.adminTokens,
    config.slack.botToken,
    config.slack.signingSecret,
    databasePassword,
  ].filter((value): value is string => !!value);
}

/**
 * The process's root logger: JSON lines on stdout, or coloured lines when
 * stdout is a terminal; secrets removed by path and by value.
 */
export function createRootLogger(config: AppConfig, name: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  const human = destination === process.stdout && process.stdout.isTTY === true;
  const sink = human ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }) : destination;
  return pino(
    {
      level: config.log.level,
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: loggedError },
    },
    scrubbingStream(sink, configuredSecrets(config)),
  );
}

/**
 * An error as its type, code, message and stack. Pino's own serializer adds
 * every other field, and a failed query carries its parameters: message text
 * and people's names from an import or a Slack event would reach the log.
 */
export function loggedError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  // An Error, or (through pino-http) what pino's serializer already made of one.
  const { type, code, message, stack } = error as Record<string, unknown>;
  return { type: error instanceof Error ? error.constructor.name : type, ...(typeof code === 'string' ? { code } : {}), message, stack };
}

/** The caller's `X-Request-Id` when it is a sane token, otherwise a new UUID. */
export function requestIdOf(request: { headers: IncomingMessage['headers'] }): string {
  const offered = request.headers['x-request-id'];
  return typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
}

/** Nest's own start-up chatter, one line per module and route: debug, not info. */
const FRAMEWORK_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** The Nest LoggerService of every process: pino underneath. */
@Injectable()
export class AppLogger extends PinoNestLogger {
  constructor(logger: PinoLogger, @Inject(PARAMS_PROVIDER_TOKEN) params: Params) {
    super(logger, params);
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && FRAMEWORK_BOOT_CONTEXTS.has(context)) super.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }
}

@Module({})
class LoggingModule {}

/** Nest's logging through pino; provides `AppLogger`. */
export function loggingModule(logger: Logger): DynamicModule {
  return {
    module: LoggingModule,
    global: true,
    imports: [
      LoggerModule.forRoot({
        // pino-http would put its own error serializer back on the logger it is given.
        pinoHttp: { logger, serializers: { err: loggedError } },
        // No Nest middleware: access lines come from a Fastify hook (see `installAccessLog`).
        // Middleware runs through middie for every request, probes included, and cost a third
        // of the API's throughput on a trivial route.
        forRoutes: [],
      }),
    ],
    providers: [AppLogger],
    exports: [AppLogger],
  };
}

interface AccessLogRequest {
  id: string;
  method: string;
  url: string;
  ip: string;
  headers: IncomingMessage['headers'];
}

/** The hook surface of a Fastify instance that access logging needs. */
interface HookTarget {
  addHook(
    name: 'onResponse',
    hook: (request: AccessLogRequest, reply: { statusCode: number; elapsedTime: number }, done: () => void) => void,
  ): unknown;
}

/** One JSON line per answered request, with its id; probes and scrapes are not logged. */
export function installAccessLog(server: HookTarget, logger: Logger): void {
  // Callback style: an async hook costs a promise on every request.
  server.addHook('onResponse', (request, reply, done) => {
    if (PROBE_PATH.test(request.url)) return done();
    const statusCode = reply.statusCode;
    const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
    logger[level](
      {
        req: {
          id: request.id,
          method: request.method,
          url: request.url,
          userAgent: request.headers['user-agent'],
          remoteAddress: request.ip,
        },
        res: { statusCode },
        responseTime: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });
}
