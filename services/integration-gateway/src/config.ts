// The only place that reads the environment (STYLE.md rule 2). A bad value stops the service at boot
// with a ConfigError naming the variable.
import { commonShape, flag, loadConfig, port, positiveInt, url, z } from '@fleet/config';

const shape = {
  ...commonShape,
  GATEWAY_PORT: port(8020),
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  RETAILCRM_URL: url().default('http://127.0.0.1:8019'),
  /** Enablement cache entry lifetime (ms). */
  CACHE_TTL_MS: positiveInt(90_000),
  /** Period of the background full reload of the enablement cache (ms), ± CACHE_REFRESH_JITTER_MS. */
  CACHE_REFRESH_MS: positiveInt(240_000),
  CACHE_REFRESH_JITTER_MS: z.coerce.number().int().min(0).default(60_000),
  /** How often a self-sent NOTIFY checks that the LISTEN connection still hears us (ms). */
  LISTEN_HEARTBEAT_MS: positiveInt(15_000),
  /** connect / headers / body timeout of one request to the RetailCRM service (ms). */
  FORWARD_TIMEOUT_MS: positiveInt(3_000),
  /** In-process retries of one delivery on transient failures before it is rescheduled. */
  FORWARD_RETRIES: z.coerce.number().int().min(0).default(3),
  /** First in-process retry delay (ms); doubles per retry, randomised ×1–2. */
  FORWARD_RETRY_MIN_MS: positiveInt(200),
  /** A delivery still failing this long after it was created goes dead (ms, default 24 h). */
  GIVE_UP_MS: positiveInt(24 * 60 * 60 * 1000),
  /** Cap of the backoff between rescheduled attempts of one delivery (ms). */
  RESCHEDULE_MAX_MS: positiveInt(60_000),
  /** Delivery worker poll period (ms); it is also kicked right after a dispatch commits. */
  WORKER_POLL_MS: positiveInt(250),
  // server.ts sizes the pool WORKER_CONCURRENCY + 6. A delivery is a chain of round trips and durable
  // commits in the gateway and the RetailCRM service (~20–40 ms under load), so 8 capped the worker
  // near 200 deliveries/s; 32 keeps the pool (38) well inside PostgreSQL's default max_connections.
  /** Calls delivered in parallel (each holds one pooled connection while it delivers). */
  WORKER_CONCURRENCY: positiveInt(32),
  /** How long an open circuit breaker waits before a trial request (ms). */
  BREAKER_RESET_MS: positiveInt(10_000),
  /** Failed requests within the rolling window before a breaker may open. */
  BREAKER_VOLUME: positiveInt(5),
  WORKER_ENABLED: flag(true),
};

/** The gateway's validated configuration (units: ms unless named otherwise). */
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

/**
 * Parses the gateway's variables from `env` (default `process.env`).
 * @throws ConfigError (code FLEET_CONFIG_INVALID) naming the first bad variable.
 */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(shape, env);
}
