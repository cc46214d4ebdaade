// The only place that reads the environment (STYLE.md rule 2). A bad value stops the service at boot
// with a ConfigError naming the variable.
import { commonShape, loadConfig, port, positiveInt, url, z } from '@fleet/config';

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
  /**
   * Deadline of one forward to an integration's service (connect, headers, body; ms). One rung of the
   * deadline ladder (docs/delivery-path.md): above the RetailCRM service's longest call-event (three
   * steps of RETAILCRM_TIMEOUT_MS × (RETAILCRM_RETRIES + 1) plus waits, 26 s by default), below
   * call-intake's DISPATCH_TIMEOUT_MS (35 s), so the caller hears the integration's own answer.
   */
  FORWARD_TIMEOUT_MS: positiveInt(30_000),
  /** Connections per integration service: dispatches forwarded at once (call-intake sends up to 32). */
  FORWARD_CONNECTIONS: positiveInt(64),
  /** How long an open circuit breaker waits before a trial request (ms). */
  BREAKER_RESET_MS: positiveInt(10_000),
  /** Failed requests within the rolling window before a breaker may open. */
  BREAKER_VOLUME: positiveInt(5),
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
