/**
 * Exit codes of `pnpm fleet` and `pnpm replay`, for scripts that drive them:
 * 0 ok, 1 other failure, 2 usage error, 3 not found, 4 conflict.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, conflict: 4 } as const;

export type CliErrorCode = 'FLEET_CLI_USAGE' | 'FLEET_CLI_NOT_FOUND' | 'FLEET_CLI_CONFLICT';

const EXIT_OF: Record<CliErrorCode, number> = {
  FLEET_CLI_USAGE: EXIT.usage,
  FLEET_CLI_NOT_FOUND: EXIT.notFound,
  FLEET_CLI_CONFLICT: EXIT.conflict,
};

/**
 * An error the operator can act on; `code` decides the exit code. A plain class rather than
 * `@fastify/error`: there is no HTTP status here, only an exit code.
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = EXIT_OF[code];
  }
}

/** Bad or missing arguments (exit 2; the runner adds the usage line). */
export const usageError = (message: string) => new CliError('FLEET_CLI_USAGE', message);
/** The named enterprise does not exist (exit 3). */
export const notFoundError = (message: string) => new CliError('FLEET_CLI_NOT_FOUND', message);
/** A unique value is already taken (exit 4). */
export const conflictError = (message: string) => new CliError('FLEET_CLI_CONFLICT', message);
