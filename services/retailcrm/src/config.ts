// The only place that reads the environment (STYLE.md rule 2). A bad value stops the service at boot
// with a ConfigError naming the variable.
import { commonShape, loadConfig, port, positiveInt, z } from '@fleet/config';

const shape = {
  ...commonShape,
  RETAILCRM_PORT: port(8019),
  RETAILCRM_HOST: z.string().min(1).default('127.0.0.1'),
  /** Timeout of one request to RetailCRM (ms). */
  RETAILCRM_TIMEOUT_MS: positiveInt(3_000),
  /** Client-side retries of one RetailCRM request on 503/timeout/network before answering 503 (the gateway retries later). */
  RETAILCRM_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
  /** First retry delay (ms), doubled per retry, randomised ×1–2. */
  RETAILCRM_RETRY_MIN_MS: positiveInt(200),
  /** Longest Retry-After worth waiting for inside one request (ms); longer → 503 to the gateway. */
  RETAILCRM_MAX_RETRY_AFTER_MS: positiveInt(2_000),
  /** Lease of a claimed step (ms): after it a crashed worker's step may be claimed again. Must exceed
   *  the longest step: (retries + 1) × timeout + backoff + rate-limit waits. */
  RETAILCRM_STEP_LEASE_MS: positiveInt(60_000),
  /** RetailCRM's per-key limits (requests/s). */
  RETAILCRM_RATE_TELEPHONY: positiveInt(40),
  RETAILCRM_RATE_GENERAL: positiveInt(10),
};

/** The RetailCRM service's validated configuration (units: ms unless named otherwise). */
export type RetailCrmConfig = ReturnType<typeof loadRetailCrmConfig>;

/**
 * Parses the service's variables from `env` (default `process.env`).
 * @throws ConfigError (code FLEET_CONFIG_INVALID) naming the first bad variable.
 */
export function loadRetailCrmConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(shape, env);
}
