import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '@fleet/db';
import { isFlood, isForbidden, isMessageGone, isNotModified, isTransient, type BotApi } from '@fleet/telegram-client';
import type { CardRow } from './card-row.ts';
import type { Directory } from './directory.ts';
import type { Limiter, Release } from './limiter.ts';
import type { CardOp } from './plan.ts';

/** What perform() needs of the card worker: the clients, its counters and its queue's marks. */
export interface PerformDeps {
  sql: Sql;
  api: BotApi;
  limiter: Limiter;
  directory: Directory;
  log: FastifyBaseLogger;
  stats: { requests: number; floods: number; failures: number; lastError: string | null };
  /** Dead for good with the reason (the leased queue's dead mark). */
  finish(id: string, error: string): Promise<unknown>;
  /** Back to the queue with backoff, keeping what the chat shows. */
  postpone(row: CardRow, error: string): Promise<unknown>;
}

/**
 * The card worker's Bot API requests (worker.ts): 429 pauses the bot for exactly retry_after; 403
 * deactivates the recipient; "not modified" counts as done and "not found" as "no live card".
 */
export function createPerform(d: PerformDeps) {
  const { sql, api, limiter, directory, log, stats, finish, postpone } = d;
  return perform;

  /**
   * One Bot API request; on success `row` holds what the chat shows afterwards (the caller writes it).
   * 'retry': nothing changed, plan again (429); 'stop': the card must not be worked on now.
   */
  async function perform(
    token: string,
    botId: string,
    row: CardRow,
    op: Exclude<CardOp, { kind: 'none' }>,
    want: { text: string; loud: boolean },
    markup: unknown,
    free: Release,
  ): Promise<'next' | 'retry' | 'stop'> {
    const chat_id = Number(row.chat_id);
    const bind = { enterprise: row.enterprise, callId: row.call_id, chatId: row.chat_id, op: op.kind };
    stats.requests++;
    // The limiter's slot ends when the answer (or the failure) is in, before any bookkeeping.
    const call = async <T>(method: string, params: Record<string, unknown>) => {
      try {
        return await api.call<T>(token, method, params);
      } finally {
        free();
      }
    };
    const editText = (messageId: number) =>
      call('editMessageText', {
        chat_id,
        message_id: messageId,
        text: want.text,
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        ...(markup ? { reply_markup: markup } : {}),
      });
    try {
      if (op.kind === 'send') {
        const m = await call<{ message_id: number }>('sendMessage', {
          chat_id,
          text: want.text,
          parse_mode: 'HTML',
          disable_notification: !want.loud,
          link_preview_options: { is_disabled: true },
          ...(markup ? { reply_markup: markup } : {}),
        });
        if (op.final)
          Object.assign(row, { final_message_id: String(m.message_id), callback_shown: row.callback !== null });
        else Object.assign(row, { live_message_id: String(m.message_id), live_text: want.text });
      } else if (op.kind === 'edit') {
        try {
          await editText(op.messageId);
        } catch (e) {
          if (!isNotModified(e)) throw e;
        }
        if (op.final)
          Object.assign(row, {
            final_message_id: row.live_message_id,
            live_message_id: null,
            live_text: null,
            callback_shown: row.callback !== null,
          });
        else row.live_text = want.text;
      } else if (op.kind === 'amend') {
        // The callback line on a final already shown. Telegram lets a bot edit its message for 48 h
        // only ("message can't be edited"), and the user may have deleted it ("message to edit not
        // found"): either way there is nothing left to amend, so the callback counts as shown.
        try {
          await editText(op.messageId);
        } catch (e) {
          if (!isNotModified(e) && !isMessageGone(e)) throw e;
          if (isMessageGone(e))
            log.info({ ...bind, error: (e as Error).message }, 'missed call final not amended: gone or too old');
        }
        row.callback_shown = true;
      } else {
        await call('deleteMessage', { chat_id, message_id: op.messageId });
        Object.assign(row, { live_message_id: null, live_text: null });
      }
      return 'next';
    } catch (e) {
      const err = e as Error;
      if (isFlood(e)) {
        stats.floods++;
        limiter.pause(botId, e.retryAfter ?? 1); // the whole bot: the 429 does not say which limit (limiter.ts)
        log.warn({ ...bind, retryAfter: e.retryAfter }, 'telegram flood limit: pausing the bot');
        return 'retry';
      }
      if (isMessageGone(e) && op.kind !== 'send') {
        // Deleted by the user (or too old): there is no live card any more; a final goes as a new message.
        Object.assign(row, { live_message_id: null, live_text: null });
        return 'next';
      }
      stats.failures++;
      stats.lastError = err.message;
      await sql`update telegram_bots set last_error = ${err.message.slice(0, 500)}, last_error_at = now() where enterprise = ${row.enterprise}`;
      if (isForbidden(e)) {
        log.info(bind, 'telegram chat blocked the bot: recipient deactivated');
        await sql`update telegram_recipients set active = false, updated_at = now() where enterprise = ${row.enterprise} and chat_id = ${row.chat_id}`;
        directory.forget(`rcp:${row.enterprise}:${row.chat_id}`);
        await finish(row.id, err.message);
        return 'stop';
      }
      if (isTransient(e)) {
        log.warn({ ...bind, error: err.message }, 'telegram request failed; will retry');
        await postpone(row, err.message);
        return 'stop';
      }
      // Any other 4xx is our bug (bad HTML, bad markup): retrying cannot help; keep the reason.
      log.error({ ...bind, error: err.message }, 'telegram refused a card operation');
      await finish(row.id, err.message);
      return 'stop';
    }
  }
}
