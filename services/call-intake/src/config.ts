import { resolve } from 'node:path';
import { commonShape, flag, loadConfig, port, positiveInt, z } from '@fleet/config';
import { resolveSecrets } from '@fleet/secrets';

/** Managers' Telegram (src/telegram): where the Bot API is, how updates arrive, Telegram's limits. */
export const telegramShape = {
  /** Bot API root: Telegram, a local Bot API server, or the fake in tests and the demo. */
  TELEGRAM_API_ROOT: z.string().url().default('https://api.telegram.org'),
  /** Public https base of this service; webhooks are registered at <it>/telegram/webhook/<bot id>. */
  PUBLIC_BASE_URL: z.string().url().optional(),
  /** webhook | polling; default polling without PUBLIC_BASE_URL (a laptop), else webhook. */
  TELEGRAM_MODE: z.enum(['webhook', 'polling']).optional(),
  /**
   * Telegram's limit per bot (requests/s over all its chats). Every limit is paced exactly, without
   * slack: a slot counts until its request's answer, so jitter cannot bunch requests at Telegram.
   */
  TELEGRAM_BOT_PER_SECOND: positiveInt(30),
  TELEGRAM_PRIVATE_PER_SECOND: z.coerce.number().positive().default(1),
  TELEGRAM_PRIVATE_BURST: positiveInt(3),
  TELEGRAM_GROUP_PER_MINUTE: positiveInt(20),
  /** A greeting card (from `start`) shows only when no dial follows within this time. */
  TELEGRAM_GREETING_DELAY_MS: z.coerce.number().int().min(0).default(3000),
  TELEGRAM_TIMEOUT_MS: positiveInt(10_000),
  // The "Позвонить с" button's click-to-call goes to POST /api/makecallexternal there.
  /** services/asterisk on loopback. */
  ASTERISK_URL: z.string().url().default('http://127.0.0.1:8018'),
  /** services/retailcrm on loopback: the caller's name and CRM links on cards (RetailCRM enterprises only). */
  RETAILCRM_URL: z.string().url().default('http://127.0.0.1:8019'),
  /**
   * The longest a card waits for the caller's name (ms): a ringing card must show while it rings; a later
   * answer shows on the card's next edit.
   */
  TELEGRAM_CALLER_WAIT_MS: positiveInt(300),
  TELEGRAM_POLL_MS: positiveInt(1000),
};

export type TelegramConfig = z.infer<z.ZodObject<typeof telegramShape>> & {
  /** AES-256-GCM key of the bot tokens at rest: SECRETS_KEY as @fleet/secrets resolves it. */
  SECRETS_KEY?: Buffer;
};
/** The Telegram settings with every default (for callers that pass none, e.g. tests). */
export const telegramDefaults = (): TelegramConfig => z.object(telegramShape).parse({});

/** Retention of this service's tables (src/plugins/retention.ts, @fleet/retention). */
export const retentionShape = {
  /**
   * How often this service deletes its finished rows older than their retention (ms, mean: each wait
   * is drawn from ×0.5–1.5 of it; one pass per service at a time over all instances); 0 = never.
   */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /**
   * Days a processed host event (call_events) is kept. Its idempotency key goes with it: keep it longer
   * than any date range `fleet recover` may replay. Unprocessed events are never removed.
   */
  RETENTION_CALL_EVENTS_DAYS: positiveInt(30),
  /** Days a delivered or dead side effect (intake_outbox) is kept; pending ones are never removed. */
  RETENTION_INTAKE_OUTBOX_DAYS: positiveInt(7),
  /** Days a Telegram card with nothing left to show (done or dead, unchanged since) is kept. */
  RETENTION_TELEGRAM_CARDS_DAYS: positiveInt(7),
};
export type RetentionConfig = z.infer<z.ZodObject<typeof retentionShape>>;

const shape = {
  ...commonShape,
  ...telegramShape,
  ...retentionShape,
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
  /**
   * Deadline of one dispatch to the gateway (ms), which answers only when the integrations did: the top
   * rung of the deadline ladder (docs/delivery-path.md), above the gateway's FORWARD_TIMEOUT_MS (30 s).
   */
  DISPATCH_TIMEOUT_MS: positiveInt(35_000),
  /** A side effect still undelivered this long after the processor wrote it goes dead (ms, default 24 h). */
  GIVE_UP_MS: positiveInt(24 * 60 * 60 * 1000),
  /** Start the background processor and dispatcher (off in some tests). */
  WORKERS: flag(true),
  /** A call with no event for this long is closed as ended without a hangup (call model staleCallMs; 4 h). */
  CALL_STALE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(4 * 3_600_000),
  /** Local data of the fleet on this machine; the outage journal defaults to <it>/journal/call-intake. */
  FLEET_DATA_DIR: z.string().min(1).default('.data'),
  /** Outage journal (src/journal): one directory per instance, on a local disk. */
  JOURNAL_DIR: z.string().min(1).optional(),
  /** Bound on the journal: past it, host events are refused with 503 while PostgreSQL is down. */
  JOURNAL_MAX_BYTES: positiveInt(256 * 1024 * 1024),
  JOURNAL_SEGMENT_BYTES: positiveInt(8 * 1024 * 1024),
  /** A group-commit insert unanswered after this long is journaled instead (hosts give up at 3 s). */
  JOURNAL_FALLBACK_MS: positiveInt(1000),
  /** How often the journal checks whether PostgreSQL is back. */
  JOURNAL_DRAIN_POLL_MS: positiveInt(500),
};

export type CallIntakeConfig = ReturnType<typeof loadCallIntakeConfig>;

/**
 * Reads and validates call-intake's environment; throws ConfigError naming the bad variable.
 * SECRETS_KEY (bot tokens at rest) resolves like the RetailCRM service's: required, except fixed values
 * under NODE_ENV=test and the dev-secrets file under FLEET_DEV=1 (@fleet/secrets).
 */
export function loadCallIntakeConfig(env: Record<string, string | undefined> = process.env) {
  const c = { ...loadConfig(shape, env), SECRETS_KEY: resolveSecrets(env).secretsKey };
  return { ...c, JOURNAL_DIR: resolve(c.JOURNAL_DIR ?? `${c.FLEET_DATA_DIR}/journal/call-intake`) };
}
