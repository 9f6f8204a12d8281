import { Telemetry, PROBE_PATH } from '@app/observability';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Times every response by its route template (`/api/v1/channels/:channelId`),
 * never the raw path, so an id or a scanner's random URLs add no series.
 * Probes and scrapes are not timed, as they are not logged: they come from
 * the cluster every few seconds, and a readiness 503 while a pod drains is
 * not an error of the API.
 */
export function installHttpTelemetry(app: NestFastifyApplication): void {
  const telemetry = app.get(Telemetry);
  app
    .getHttpAdapter()
    .getInstance()
    // Callback style: an async hook costs a promise on every request.
    .addHook('onResponse', (request, reply, done) => {
      if (PROBE_PATH.test(request.url)) return done();
      const route = request.routeOptions.url ?? 'unmatched';
      telemetry.httpRequestDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
}
