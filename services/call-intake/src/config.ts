import { commonShape, flag, loadConfig, port, positiveInt, z } from '@fleet/config';

const shape = {
  ...commonShape,
  CALL_INTAKE_PORT: port(8000),
  /** Hosts reach call-intake through nginx in production; bind wider only when they post directly. */
  CALL_INTAKE_HOST: z.string().default('127.0.0.1'),
  GATEWAY_URL: z.string().url().default('http://127.0.0.1:8020'),
  /** Largest host body accepted (real ones are < 2 KiB). */
  BODY_LIMIT_BYTES: positiveInt(64 * 1024),
  /** Group commit: events arriving within this window share one transaction. */
  GROUP_COMMIT_WINDOW_MS: z.coerce.number().int().min(0).max(50).default(2),
  GROUP_COMMIT_MAX_BATCH: positiveInt(500),
  /** How often the processor looks for unprocessed events and due timers (crash recovery, other instances). */
  PROCESSOR_POLL_MS: positiveInt(500),
  DISPATCH_POLL_MS: positiveInt(250),
  DISPATCH_TIMEOUT_MS: positiveInt(3000),
  /** Start the background processor and dispatcher (off in some tests). */
  WORKERS: flag(true),
};

export type CallIntakeConfig = ReturnType<typeof loadCallIntakeConfig>;

/** Reads and validates call-intake's environment; throws ConfigError naming the bad variable. */
export function loadCallIntakeConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(shape, env);
}
