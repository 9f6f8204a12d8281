/** Node socket errors meaning the database host is not there (now). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);
/**
 * PostgreSQL SQLSTATEs of a server that cannot serve right now: class 08
 * (connection exception), shutting down or starting up, too many connections.
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;
/** What node-postgres and its pool say when the socket goes or never comes. */
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Connection refused|connect ECONNREFUSED|Client has encountered a connection error|Cannot use a pool after calling end/i;

/**
 * True when an error means "the database is away", as opposed to a bug or a
 * bad query: callers answer 503 and a retry will do, instead of a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && (UNREACHABLE_CODES.has(candidate.code) || UNAVAILABLE_SQLSTATES.test(candidate.code))) return true;
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.test(candidate.message)) return true;
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}
