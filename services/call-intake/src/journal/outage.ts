// Which database errors mean "PostgreSQL is unreachable or cannot write" (journal the events) rather
// than "this statement is wrong" (answer an error, as before the journal existed).

const NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// postgres.js's own connection error codes.
const DRIVER_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'INTAKE_DB_DEADLINE',
]);

/**
 * True for connection failures and for SQLSTATE classes 08 (connection exception), 53 (insufficient
 * resources: disk full, too many connections), 57P (shutdown, starting up) and 58 (system error).
 */
export function isOutage(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  if (NODE_CODES.has(code) || DRIVER_CODES.has(code)) return true;
  return /^(08|53|57P|58)/.test(code) && code.length === 5;
}

/** An operation that did not finish within its deadline (its outcome is unknown). */
export class DeadlineExceeded extends Error {
  readonly code = 'INTAKE_DB_DEADLINE';
}

/** `p`, or a DeadlineExceeded rejection after `ms`; a late rejection of `p` is swallowed. */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer from PostgreSQL within ${ms} ms`)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
