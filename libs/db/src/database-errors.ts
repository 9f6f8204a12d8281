/** Node socket errors meaning the database host is not there (now). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
]);
/**
 * PostgreSQL SQLSTATEs of a server that cannot serve right now: class 08
 * (connection exception), shutting down or starting up, too many connections.
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;
/** What node-postgres and its pool say when the socket goes or never comes. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Connection refused|connect ECONNREFUSED|Client has encountered a connection error|Cannot use a pool after calling end/i;

/**
 * SQLSTATEs of a value the database refuses however often the statement is
 * retried: class 22 (data exception: out of range, NUL, bad encoding), class
 * 23 (a constraint), 54000 (past a limit, such as an index row too large).
 */
const REFUSED_VALUE_SQLSTATES = /^(22...|23...|54000)$/;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

/** True when the error or one of its causes (TypeORM wraps the driver's) satisfies `test`. */
function inErrorChain(error: unknown, test: (candidate: ErrorLike) => boolean): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as ErrorLike;
    if (test(candidate)) return true;
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}

/**
 * True when an error means "the database is away", as opposed to a bug or a
 * bad query: callers answer 503 and a retry will do, instead of a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return inErrorChain(
    error,
    ({ code, message }) =>
      (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) ||
      (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)),
  );
}

/** The SQLSTATE when the database refused a value for good (see REFUSED_VALUE_SQLSTATES), else undefined. */
export function refusedValueSqlState(error: unknown): string | undefined {
  let sqlState: string | undefined;
  inErrorChain(error, ({ code }) => {
    if (typeof code === 'string' && REFUSED_VALUE_SQLSTATES.test(code)) sqlState = code;
    return sqlState !== undefined;
  });
  return sqlState;
}
