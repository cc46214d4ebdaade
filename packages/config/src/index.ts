import { z } from 'zod';

export { z };

/** Raised when an environment variable is missing or malformed; `variable` names it. */
export class ConfigError extends Error {
  readonly code = 'FLEET_CONFIG_INVALID';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
  }
}

/**
 * Parses `env` (default `process.env`) against a zod object schema whose keys are variable names.
 * Returns the typed config; throws ConfigError naming the first bad variable, so a service stops at
 * boot with a message an operator can act on (STYLE.md rule 2: config validated at boot).
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? '?'), issue.message);
  }
  return result.data;
}

/** A TCP port given as a string; `fallback` when unset. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A positive integer given as a string (milliseconds, counts). */
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A boolean given as `1/0/true/false/yes/no`. */
export const flag = (fallback: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === '1' || v === 'true' || v === 'yes');

/** An http(s) URL. */
export const url = () => z.string().url();

/** Variables every service shares: where the database is, how to log. */
export const commonShape = {
  DATABASE_URL: z.string().min(1, 'must be a postgres:// URL'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: flag(false),
};
