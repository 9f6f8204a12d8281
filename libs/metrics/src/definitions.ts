/**
 * The metric definitions of docs/design.md as SQL fragments, shared by every
 * rollup statement so that "message", "bot" and "day" mean one thing.
 */

/** Subtypes that are messages; every other subtype is a system event (joins, topic changes, tombstones…). */
export const MESSAGE_SUBTYPES = ['thread_broadcast', 'file_share', 'me_message', 'bot_message'] as const;

/** Slackbot posts as this user id and has no users.json entry marking it a bot. */
export const SLACKBOT_USER_ID = 'USLACKBOT';

const subtypeList = MESSAGE_SUBTYPES.map((subtype) => `'${subtype}'`).join(', ');

/** A row of `messages` that counts as a message: not deleted, no system subtype. */
export function isMessage(alias: string): string {
  return `(${alias}.deleted_at IS NULL AND (${alias}.subtype IS NULL OR ${alias}.subtype IN (${subtypeList})))`;
}

/**
 * A bot message: bot_message subtype, a bot_id, or a bot author. `author` is
 * the alias of `users` LEFT JOINed on the author, so an author missing from
 * users.json counts as human.
 */
export function isBotMessage(alias: string, author: string): string {
  // coalesce: a NULL subtype or user_id must read as "no", never as unknown, or NOT would drop the row.
  return `coalesce(${alias}.subtype = 'bot_message' OR ${alias}.bot_id IS NOT NULL OR ${alias}.user_id = '${SLACKBOT_USER_ID}' OR ${author}.is_bot, false)`;
}

/** A thread reply: a message inside a thread that is not the thread's parent. */
export function isThreadReply(alias: string): string {
  return `(${alias}.thread_ts IS NOT NULL AND ${alias}.thread_ts <> ${alias}.ts)`;
}

/** A user id that is a human (for reactions, where no message marks exist). `$tzParam`-free. */
export function isHumanUserId(userIdExpression: string): string {
  return `(${userIdExpression} <> '${SLACKBOT_USER_ID}' AND NOT EXISTS (SELECT 1 FROM users bot WHERE bot.id = ${userIdExpression} AND bot.is_bot))`;
}

/** Calendar day of a timestamptz in the zone bound to parameter `$1`. */
export function localDay(timestamp: string): string {
  return `(${timestamp} AT TIME ZONE $1)::date`;
}

/** Hour of day (0–23) in the same zone; date_part, since extract() computes a numeric, slowly. */
export function localHour(timestamp: string): string {
  return `date_part('hour', ${timestamp} AT TIME ZONE $1)::smallint`;
}
