import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '@fleet/db';
import type { BotApi } from '@fleet/telegram-client';
import type { BotReader } from './bots.ts';
import type { TelegramUpdate, UpdateHandler } from './updates.ts';

const LONG_POLL_SEC = 25;
const REFRESH_MS = 5000;

/**
 * Long polling (getUpdates) for bots without a webhook: the fallback for a laptop with no public URL.
 * One loop per bot; the bot list is re-read every few seconds so `fleet telegram set-token` takes
 * effect without a restart. A bot switched to webhook mode leaves the loop (getUpdates would be 409).
 */
export function startPolling(deps: {
  sql: Sql;
  bots: BotReader;
  api: BotApi;
  handle: UpdateHandler;
  log: FastifyBaseLogger;
}): { stop(): Promise<void> } {
  const abort = new AbortController();
  const loops = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  async function loop(enterprise: string): Promise<void> {
    let offset = 0;
    while (!abort.signal.aborted) {
      const bot = await deps.bots.byEnterprise(enterprise);
      if (!bot || bot.mode !== 'polling') return;
      try {
        const updates = await deps.api.call<TelegramUpdate[]>(
          bot.token,
          'getUpdates',
          { offset, timeout: LONG_POLL_SEC, allowed_updates: ['message', 'callback_query'] },
          { signal: abort.signal, timeoutMs: (LONG_POLL_SEC + 10) * 1000 },
        );
        for (const u of updates) {
          offset = u.update_id + 1;
          await deps
            .handle(bot, u)
            .catch((err: unknown) => deps.log.warn({ enterprise, err }, 'telegram update failed'));
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        const message = (err as Error).message;
        deps.log.warn({ enterprise, error: message }, 'telegram getUpdates failed');
        await deps.sql`update telegram_bots set last_error = ${message.slice(0, 500)}, last_error_at = now() where enterprise = ${enterprise}`;
        await new Promise((r) => setTimeout(r, REFRESH_MS));
      }
    }
  }

  async function refresh(): Promise<void> {
    try {
      const bots = await deps.sql<
        { enterprise: string }[]
      >`select enterprise from telegram_bots where mode = 'polling'`;
      for (const { enterprise } of bots) {
        if (loops.has(enterprise)) continue;
        loops.set(
          enterprise,
          loop(enterprise)
            .catch((err: unknown) => deps.log.warn({ enterprise, err }, 'telegram polling stopped'))
            .finally(() => loops.delete(enterprise)),
        );
      }
    } catch (err) {
      deps.log.warn({ err }, 'telegram bot list unavailable');
    }
    if (!abort.signal.aborted) timer = setTimeout(refresh, REFRESH_MS);
  }
  void refresh();
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await Promise.all(loops.values());
    },
  };
}
