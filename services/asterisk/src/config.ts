// The only place that reads the environment (STYLE.md rule 2). A bad value stops the service at boot
// with a ConfigError naming the variable.
import { commonShape, loadConfig, port, positiveInt, z } from '@fleet/config';

const shape = {
  ...commonShape,
  ASTERISK_PORT: port(8018),
  /** Loopback by default: callers are the fleet's own services (retailcrm, Telegram). */
  ASTERISK_HOST: z.string().min(1).default('127.0.0.1'),
  /** SSH handshake deadline (ms). */
  ASTERISK_CONNECT_TIMEOUT_MS: positiveInt(5_000),
  /** Deadline of one command on a host (ms). */
  ASTERISK_COMMAND_TIMEOUT_MS: positiveInt(10_000),
  /**
   * Whole-request deadline of /api/makecallexternal (ms): waiting for a slot, connecting and every
   * command of one originate fit in it, or the answer is 504 with the reason. Below the callers'
   * timeouts (retailcrm's MAKE_CALL_TIMEOUT_MS 17 s, call-intake's Telegram button 12 s), so a caller
   * hears our reason, not its own timeout; a caller may ask for less (`deadlineMs`). Above the command
   * timeout, so that a warm host too slow for its own limit still counts against its breaker.
   */
  ASTERISK_REQUEST_DEADLINE_MS: positiveInt(11_000),
  /** Commands at once per host, and how many may wait. */
  ASTERISK_HOST_CONCURRENCY: positiveInt(4),
  ASTERISK_HOST_QUEUE: positiveInt(100),
  /** An open breaker tries the host again after this (ms). */
  ASTERISK_BREAKER_RESET_MS: positiveInt(30_000),
  /** Failed calls (of at least this many in the window) that open a host's breaker. */
  ASTERISK_BREAKER_VOLUME: positiveInt(3),
  /** How long a request waits for the originated channel to show before answering `accepted` (ms; 0 = do not wait). */
  ASTERISK_CONFIRM_WAIT_MS: z.coerce.number().int().min(0).default(1_500),
  /** After an `accepted` answer, how long the service keeps looking for the channel (ms). */
  ASTERISK_CONFIRM_LATER_MS: positiveInt(15_000),
  ASTERISK_CONFIRM_POLL_MS: positiveInt(500),
  /** Recovery of failed host posts (src/recovery): every this often (ms, ± jitter); 0 = only on demand. */
  RECOVERY_INTERVAL_MS: z.coerce.number().int().min(0).default(600_000),
  RECOVERY_JITTER_MS: z.coerce.number().int().min(0).default(60_000),
  /** Largest host post log fetched (bytes), and the deadline of fetching one (ms). */
  RECOVERY_MAX_FILE_BYTES: positiveInt(64 * 1024 * 1024),
  RECOVERY_FETCH_TIMEOUT_MS: positiveInt(60_000),
  /**
   * How often this service deletes its finished rows older than their retention (ms, mean: each wait
   * is drawn from ×0.5–1.5 of it; one pass per service at a time over all instances); 0 = never.
   */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** Days a finished originate record is kept (call-intake reads the last minutes of them). */
  RETENTION_ORIGINATES_DAYS: positiveInt(30),
  /** Days a finished recovery run is kept (the history `fleet recover` shows). */
  RETENTION_RECOVERY_RUNS_DAYS: positiveInt(90),
};

/** The asterisk service's validated configuration (units: ms unless named otherwise). */
export type AsteriskConfig = ReturnType<typeof loadAsteriskConfig>;

/** @throws ConfigError (code FLEET_CONFIG_INVALID) naming the first bad variable. */
export function loadAsteriskConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(shape, env);
}
