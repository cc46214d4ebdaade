// The RetailCRM service's variables: the service reads them through its src/config.ts (the one place it
// touches the environment, STYLE.md rule 2), the operator CLI through the same loader, so that both sign
// admin links and register the module from the same values. A bad value stops the service at boot with
// a ConfigError naming the variable.
import { commonShape, ConfigError, loadConfig, port, positiveInt, z } from '@fleet/config';
import { resolveSecrets } from '@fleet/secrets';

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
   *  the longest step: (retries + 1) × timeout + backoff + rate-limit waits (8.4 s by default). */
  RETAILCRM_STEP_LEASE_MS: positiveInt(20_000),
  /** RetailCRM's per-key limits (requests/s). */
  RETAILCRM_RATE_TELEPHONY: positiveInt(40),
  RETAILCRM_RATE_GENERAL: positiveInt(10),
  // Click-to-call and routing callbacks (issue 6).
  /** services/asterisk on loopback. */
  ASTERISK_URL: z.string().url().default('http://127.0.0.1:8018'),
  /** Longest wait for services/asterisk; it is asked to answer 1 s earlier (deadlineMs), within its own ASTERISK_REQUEST_DEADLINE_MS (11 s). */
  MAKE_CALL_TIMEOUT_MS: positiveInt(17_000),
  /** Repeated clicks (same user, same number) within this start one call. */
  CLICK_DEDUP_MS: positiveInt(5_000),
  /** getcustomerdata answers within this whatever RetailCRM does (fail open). */
  CUSTOMER_DATA_DEADLINE_MS: z.coerce.number().int().min(50).max(1_500).default(1_200),
  CUSTOMER_DATA_CACHE_MS: positiveInt(60_000),
  // Admin page (issue 5). JWT_SECRET and SECRETS_KEY are resolved by @fleet/secrets below.
  /** Public https origin RetailCRM and browsers reach this service at (module URLs, accountUrl, logo); required outside tests and development. */
  PUBLIC_BASE_URL: z.string().url().optional(),
  /** Lifetime of an admin link (the module's accountUrl), days. */
  ADMIN_LINK_TTL_DAYS: positiveInt(365),
  /** Lifetime of an admin browser session, hours. */
  ADMIN_SESSION_TTL_HOURS: positiveInt(12),
  /** Link exchanges per client IP per minute (auth endpoints). */
  ADMIN_AUTH_RATE_PER_MINUTE: positiveInt(20),
  /** The telephony module's code and name at RetailCRM. */
  RETAILCRM_MODULE_CODE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{1,63}$/)
    .default('fleet-telephony'),
  RETAILCRM_MODULE_NAME: z.string().min(1).max(100).default('Fleet Телефония'),
  /**
   * How often this service deletes its finished rows older than their retention (ms, mean: each wait
   * is drawn from ×0.5–1.5 of it; one pass per service at a time over all instances); 0 = never.
   */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /**
   * Days the journal (integration_logs, the admin page's Journal) keeps an answered attempt; each
   * enterprise's last success and last error stay whatever their age (the Connection section shows them).
   */
  RETENTION_INTEGRATION_LOGS_DAYS: positiveInt(90),
  /**
   * Days a done step (retailcrm_call_steps: what RetailCRM was already told of a call) is kept; far
   * longer than a call event is retried (GIVE_UP_MS, 24 h) or a call lives.
   */
  RETENTION_CALL_STEPS_DAYS: positiveInt(7),
};

/** The RetailCRM service's validated configuration (units: ms unless named otherwise). */
export type RetailCrmConfig = ReturnType<typeof loadRetailCrmConfig>;

/**
 * Parses the service's variables from `env`.
 * JWT_SECRET and SECRETS_KEY are required unless NODE_ENV=test or FLEET_DEV=1 (@fleet/secrets), and so
 * is PUBLIC_BASE_URL: registration sends RetailCRM URLs built from it, and a forgotten one registered
 * loopback URLs no RetailCRM can reach. Tests and development default it to the local port.
 * @throws ConfigError (code FLEET_CONFIG_INVALID) naming the first bad variable.
 */
export function loadRetailCrmConfig(env: Record<string, string | undefined>) {
  const base = loadConfig(shape, env);
  const secrets = resolveSecrets(env);
  const development = env.NODE_ENV === 'test' || env.FLEET_DEV === '1';
  if (!base.PUBLIC_BASE_URL && !development) {
    throw new ConfigError(
      'PUBLIC_BASE_URL',
      'is required: the public https origin of this service, e.g. https://pbx.example.com (FLEET_DEV=1 defaults it to the local port)',
    );
  }
  const publicBaseUrl = (base.PUBLIC_BASE_URL ?? `http://127.0.0.1:${base.RETAILCRM_PORT}`).replace(/\/+$/, '');
  if (new URL(publicBaseUrl).pathname !== '/')
    throw new ConfigError('PUBLIC_BASE_URL', 'must be an origin without a path');
  return {
    ...base,
    PUBLIC_BASE_URL: publicBaseUrl,
    JWT_SECRET: secrets.jwtSecret,
    /** AES-256-GCM key of the API keys at rest (32 bytes). */
    SECRETS_KEY: secrets.secretsKey,
  };
}
