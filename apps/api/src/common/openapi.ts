import { FIRST_DAY, LAST_DAY } from '@app/db';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { MAX_LIMIT, MAX_RANGE_DAYS } from './query.dto';

/** Serves the OpenAPI document at /docs-json and the Swagger UI at /docs. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('slack-metrics API')
    .setDescription(
      `Slack workspace analytics from rollups. Dates are calendar days (YYYY-MM-DD, ${FIRST_DAY} to ${LAST_DAY}) in METRICS_TIMEZONE, from/to inclusive, ` +
        `at most ${MAX_RANGE_DAYS} days; limit at most ${MAX_LIMIT}. Every list and series answers CSV with ?format=csv or Accept: text/csv. ` +
        `Read tokens (API_TOKENS) may GET, admin tokens (API_ADMIN_TOKENS) may also POST.`,
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  // A factory: the document is built on the first request, not at every start-up.
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs-json' });
  serveOnlyUiAssets(app.getHttpAdapter().getInstance());
}

/** The files of swagger-ui-dist the UI page loads; the rest (package.json, README.md, source maps) are not served. */
const UI_ASSETS = new Set([
  '',
  'index.html',
  'swagger-ui-init.js',
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

/**
 * Swagger serves its whole package directory under /docs/. The route's
 * wildcard is checked as the router decoded it, so an encoded name
 * (`%70ackage.json`) is refused too.
 */
function serveOnlyUiAssets(server: FastifyInstance): void {
  server.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url === '/docs/*' && !UI_ASSETS.has((request.params as Record<string, string>)['*'])) {
      reply.callNotFound();
      return;
    }
    done();
  });
}
