import { AppConfig } from '@app/config';
import { HttpException, HttpStatus, ValidationPipe } from '@nestjs/common';
import rateLimit from '@fastify/rate-limit';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { AppLogger, createRootLogger, installAccessLog, PROBE_PATH, requestIdOf } from '@app/observability';
import { AppModule } from './app.module';
import { installDashboard } from './dashboard/dashboard-routes';
import { setupOpenApi } from './common/openapi';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { JsonObjectBodyPipe } from './common/json-object-body.pipe';
import { installReusedJsonSerializer } from './common/reused-json';
import { installHttpTelemetry } from './observability/http-telemetry';

/** Request bodies past this are refused with 413; Slack's events are a few KiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Fastify's default, stated: ids are at most 64 characters. */
const MAX_PARAM_LENGTH = 100;

/**
 * What the router refuses before any route or hook runs (a path parameter
 * too long, a URL it cannot decode), in the API's error shape: without
 * Fastify's codes and without echoing the path.
 */
function refuseBeforeRouting(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  const statusCode = error.statusCode ?? HttpStatus.BAD_REQUEST;
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
      : statusCode < 500
        ? 'the URL cannot be decoded'
        : 'internal error';
  reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message });
}

/** Builds the HTTP application without listening, for main and for tests. */
export async function createApiApplication(
  config: AppConfig,
  logDestination: NodeJS.WritableStream = process.stdout,
): Promise<NestFastifyApplication> {
  const logger = createRootLogger(config, 'slack-metrics-api', logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, logger),
    // Fastify's own request logging stays off: installAccessLog writes one line per request.
    // The API has no Nest middleware (everything per request is a Fastify hook), so middie,
    // which would run on every request for nothing, is never registered.
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      trustProxy: config.http.trustProxy,
      logger: false,
      genReqId: requestIdOf,
      skipMiddie: true,
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
      frameworkErrors: refuseBeforeRouting,
    }),
    // The raw body is kept for verifying Slack's request signatures (POST /slack/events).
    { bufferLogs: true, rawBody: true },
  );
  app.useLogger(app.get(AppLogger));
  const server = app.getHttpAdapter().getInstance();
  server.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  refuseRepeatedHost(server);
  installAccessLog(server, logger);
  installReusedJsonSerializer(server);
  installHttpTelemetry(app);
  await installRateLimit(app, config.http.rateLimitPerMinute);
  installDashboard(server);
  configureApiApplication(app);
  return app;
}

/**
 * A request with more than one Host header is a 400 (RFC 9112, 3.2): a proxy
 * in front and this process could each read another one. Node keeps only the
 * first in `headers`, so the raw list is counted.
 */
function refuseRepeatedHost(server: FastifyInstance): void {
  server.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw.rawHeaders;
    let hosts = 0;
    for (let index = 0; index < raw.length; index += 2) if (raw[index].length === 4 && raw[index].toLowerCase() === 'host') hosts++;
    if (hosts > 1) {
      reply
        .code(HttpStatus.BAD_REQUEST)
        .send({ statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: 'more than one Host header' });
      return;
    }
    done();
  });
}

/**
 * Per-client-address limit, for when the API is exposed without an ingress
 * in front (NodePort, LoadBalancer). Counted in memory, per process.
 */
async function installRateLimit(app: NestFastifyApplication, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    allowList: (request) => PROBE_PATH.test(request.url),
    // Thrown as an HttpException so the body has the API's error shape.
    errorResponseBuilder: (_request, context) =>
      new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          message: `rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      ),
  });
}

function configureApiApplication(app: NestFastifyApplication): void {
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(new JsonObjectBodyPipe(), new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  setupOpenApi(app);
}
