import { FIRST_DAY, LAST_DAY } from '@app/db';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { MAX_LIMIT, MAX_RANGE_DAYS } from './query.dto';

/** Serves the OpenAPI document at /docs-json and the Swagger UI at /docs. */
export function setupOpenApi(app: INestApplication): void {
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
}
