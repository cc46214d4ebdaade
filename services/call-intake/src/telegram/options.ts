import type { Sql } from '@fleet/db';
import { telegramDefaults, type TelegramConfig } from '../config.ts';
import type { TelegramOptions } from './plugin.ts';

/** The Telegram plugin's options from call-intake's config (defaults for what the caller left out). */
export function telegramOptions(sql: Sql, config: Partial<TelegramConfig> & { WORKERS: boolean }): TelegramOptions {
  const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  const c = { ...telegramDefaults(), ...defined } as TelegramConfig;
  return {
    sql,
    apiRoot: c.TELEGRAM_API_ROOT,
    mode: c.TELEGRAM_MODE ?? (c.PUBLIC_BASE_URL ? 'webhook' : 'polling'),
    limits: {
      botPerSecond: c.TELEGRAM_BOT_PER_SECOND,
      privatePerSecond: c.TELEGRAM_PRIVATE_PER_SECOND,
      privateBurst: c.TELEGRAM_PRIVATE_BURST,
      groupPerMinute: c.TELEGRAM_GROUP_PER_MINUTE,
    },
    greetingDelayMs: c.TELEGRAM_GREETING_DELAY_MS,
    timeoutMs: c.TELEGRAM_TIMEOUT_MS,
    asteriskUrl: c.ASTERISK_URL,
    retailcrmUrl: c.RETAILCRM_URL,
    callerWaitMs: c.TELEGRAM_CALLER_WAIT_MS,
    pollMs: c.TELEGRAM_POLL_MS,
    workers: config.WORKERS,
    secretsKey: c.SECRETS_KEY ?? null,
  };
}
