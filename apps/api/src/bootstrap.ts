import { AppConfig } from '@app/config';
import { HttpException, HttpStatus, INestApplication, ValidationPipe } from '@nestjs/common';
import rateLimit from '@fastify/rate-limit';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppLogger, createRootLogger, installAccessLog, PROBE_PATH, requestIdOf } from '@app/observability';
import { AppModule } from './app.module';
import { FallbackExceptionFilter } from './common/fallback-exception.filter';
import { installDashboard } from './dashboard/dashboard-routes';
import { setupOpenApi } from './common/openapi';
import { installReusedJsonSerializer } from './common/reused-json';
import { installHttpMetrics } from './observability/http-metrics';

/** Request bodies past this are refused with 413; Slack's events are a few KiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

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
    new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, trustProxy: config.http.trustProxy, logger: false, genReqId: requestIdOf, skipMiddie: true }),
    // The raw body is kept for verifying Slack's request signatures (POST /slack/events).
    { bufferLogs: true, rawBody: true },
  );
  app.useLogger(app.get(AppLogger));
  const server = app.getHttpAdapter().getInstance();
  server.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  installAccessLog(server, logger);
  installReusedJsonSerializer(server);
  installHttpMetrics(app);
  await installRateLimit(app, config.http.rateLimitPerMinute);
  installDashboard(server);
  configureApiApplication(app);
  return app;
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

function configureApiApplication(app: INestApplication): void {
  app.useGlobalFilters(new FallbackExceptionFilter(app.get(HttpAdapterHost).httpAdapter));
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  setupOpenApi(app);
}
