import type { FastifyInstance } from 'fastify';

/**
 * JSON text of response bodies that are sent many times unchanged: cached
 * answers, which a dashboard refreshing its panels asks for again and again.
 * Serializing a 100-row answer cost more than everything else its request did,
 * and the garbage it left behind set the latency tail under load. The text is
 * made on first use and lives as long as the object.
 */
const jsonOfReusedBodies = new WeakMap<object, string | undefined>();

/**
 * Marks a body that will not change, so its JSON can be made once and reused.
 * Frozen all through, so a change that would leave the text stale throws instead.
 */
export function reusedBody<T extends object>(body: T): T {
  if (!jsonOfReusedBodies.has(body)) jsonOfReusedBodies.set(body, undefined);
  return deepFreeze(body);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** Serializes every JSON reply, reusing the text of bodies marked by {@link reusedBody}. */
export function installReusedJsonSerializer(server: FastifyInstance): void {
  server.setReplySerializer((payload) => {
    if (typeof payload !== 'object' || payload === null || !jsonOfReusedBodies.has(payload)) return JSON.stringify(payload);
    let json = jsonOfReusedBodies.get(payload);
    if (json === undefined) {
      json = JSON.stringify(payload);
      jsonOfReusedBodies.set(payload, json);
    }
    return json;
  });
}
