// Errors of talking to a host. Plain classes (this package has no HTTP), each with a stable `code`,
// the HTTP status a service should answer with (host failures are 502/504, never a hang), and
// whether it says something about the host's health (those feed the circuit breaker).
export type HostErrorCode =
  | 'AST_HOST_NOT_CONFIGURED'
  | 'AST_HOST_KEY_MISMATCH'
  | 'AST_HOST_KEY_INVALID'
  | 'AST_HOST_UNREACHABLE'
  | 'AST_HOST_AUTH_FAILED'
  | 'AST_HOST_KEY_FILE'
  | 'AST_HOST_CONNECT_TIMEOUT'
  | 'AST_HOST_COMMAND_TIMEOUT'
  | 'AST_HOST_BUSY'
  | 'AST_HOST_CIRCUIT_OPEN'
  | 'AST_REQUEST_DEADLINE';

const STATUS: Record<HostErrorCode, number> = {
  AST_HOST_NOT_CONFIGURED: 422,
  AST_HOST_KEY_MISMATCH: 502,
  AST_HOST_KEY_INVALID: 502,
  AST_HOST_UNREACHABLE: 502,
  AST_HOST_AUTH_FAILED: 502,
  AST_HOST_KEY_FILE: 502,
  AST_HOST_CONNECT_TIMEOUT: 504,
  AST_HOST_COMMAND_TIMEOUT: 504,
  AST_HOST_BUSY: 504,
  AST_HOST_CIRCUIT_OPEN: 502,
  // The caller's deadline ran out before a command could start (waiting for a slot or a connection).
  AST_REQUEST_DEADLINE: 504,
};

/** Failures that say the host (or the way to it) is unwell: they count against its breaker. */
const HEALTH: ReadonlySet<HostErrorCode> = new Set([
  'AST_HOST_KEY_MISMATCH',
  'AST_HOST_UNREACHABLE',
  'AST_HOST_AUTH_FAILED',
  'AST_HOST_CONNECT_TIMEOUT',
  'AST_HOST_COMMAND_TIMEOUT',
]);

export class HostError extends Error {
  readonly statusCode: number;
  readonly countsAgainstHost: boolean;
  constructor(
    readonly code: HostErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HostError';
    this.statusCode = STATUS[code];
    this.countsAgainstHost = HEALTH.has(code);
  }
}

export const isHostError = (e: unknown): e is HostError => e instanceof HostError;
