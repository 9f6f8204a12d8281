import { AppConfig } from '@app/config';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppLogger, createRootLogger, requestIdOf } from '@app/observability';
import { AppModule } from './app.module';
import { setupOpenApi } from './common/openapi';
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
    // Fastify's own request logging stays off: pino-http writes one line per request.
    new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, trustProxy: true, logger: false, genReqId: requestIdOf }),
    // The raw body is kept for verifying Slack's request signatures (POST /slack/events).
    { bufferLogs: true, rawBody: true },
  );
  app.useLogger(app.get(AppLogger));
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
  installHttpMetrics(app);
  configureApiApplication(app);
  return app;
}

export function configureApiApplication(app: INestApplication): void {
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  setupOpenApi(app);
}
