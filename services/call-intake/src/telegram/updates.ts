import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '@fleet/db';
import type { BotApi } from '@fleet/telegram-client';
import { CALL_TEXTS, type ClickToCall } from './click-to-call.ts';
import type { BotRow, Directory } from './directory.ts';
import type { Limiter } from './limiter.ts';

/** The parts of a Telegram Update the fleet reads (https://core.telegram.org/bots/api#update). */
export interface TelegramUpdate {
  update_id: number;
  message?: { text?: string; chat: { id: number; type?: string }; from?: { id: number } };
  callback_query?: { id: string; data?: string; from: { id: number } };
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the parts of an Update the fleet reads and returns them typed, or the reason they are
 * malformed. Update kinds the fleet ignores (edited_message, my_chat_member…) pass as an Update with
 * neither `message` nor `callback_query`, so they are acknowledged and Telegram does not redeliver.
 */
export function parseUpdate(body: unknown): { ok: true; update: TelegramUpdate } | { ok: false; reason: string } {
  if (!isObject(body) || !isId(body.update_id))
    return { ok: false, reason: 'an object with an integer update_id is required' };
  const update: TelegramUpdate = { update_id: body.update_id };
  const m = body.message;
  if (m !== undefined) {
    if (!isObject(m) || !isObject(m.chat) || !isId(m.chat.id))
      return { ok: false, reason: 'message.chat.id must be an integer' };
    if (m.text !== undefined && typeof m.text !== 'string')
      return { ok: false, reason: 'message.text must be a string' };
    if (m.from !== undefined && !(isObject(m.from) && isId(m.from.id)))
      return { ok: false, reason: 'message.from.id must be an integer' };
    update.message = {
      ...(typeof m.text === 'string' ? { text: m.text } : {}),
      chat: { id: m.chat.id, ...(typeof m.chat.type === 'string' ? { type: m.chat.type } : {}) },
      ...(isObject(m.from) ? { from: { id: m.from.id as number } } : {}),
    };
  }
  const c = body.callback_query;
  if (c !== undefined) {
    if (!isObject(c) || typeof c.id !== 'string' || !isObject(c.from) || !isId(c.from.id)) {
      return { ok: false, reason: 'callback_query needs a string id and an integer from.id' };
    }
    if (c.data !== undefined && typeof c.data !== 'string')
      return { ok: false, reason: 'callback_query.data must be a string' };
    update.callback_query = {
      id: c.id,
      from: { id: c.from.id },
      ...(typeof c.data === 'string' ? { data: c.data } : {}),
    };
  }
  return { ok: true, update };
}

export const TEXTS = {
  linked: (name: string) => `✅ Готово: сюда будут приходить звонки «${name}». Отключиться: /stop`,
  badCode: '⚠️ Ссылка-приглашение недействительна или уже использована. Попросите у администратора новую.',
  noCode: 'Чтобы получать звонки, откройте ссылку-приглашение от администратора.',
  stopped: 'Уведомления о звонках отключены. Чтобы подключиться снова, нужна новая ссылка-приглашение.',
} as const;

/**
 * Handles one update of an enterprise's bot: `/start <code>` consumes a one-time invite and links the
 * chat, `/stop` unlinks it, a "Позвонить с" button calls the client back (click-to-call.ts) once the
 * presser is checked to be a recipient of the card's enterprise, and is answered with the outcome.
 */
export function createUpdateHandler(deps: {
  sql: Sql;
  api: BotApi;
  limiter: Limiter;
  directory: Directory;
  log: FastifyBaseLogger;
  callBack: ClickToCall;
}) {
  const { sql, api, limiter, directory, log } = deps;

  async function reply(bot: BotRow, chatId: number, text: string): Promise<void> {
    try {
      const free = await limiter.acquire(bot.bot_id, chatId);
      await api.call(bot.token, 'sendMessage', { chat_id: chatId, text }).finally(free);
    } catch (err) {
      log.warn({ enterprise: bot.enterprise, chatId, error: (err as Error).message }, 'telegram reply failed');
    }
  }

  return async function handle(bot: BotRow, update: TelegramUpdate): Promise<void> {
    const msg = update.message;
    if (msg?.text) {
      const [command, arg] = msg.text.trim().split(/\s+/, 2);
      const chatId = msg.chat.id;
      if (command === '/start' || command?.startsWith('/start@')) {
        if (!arg) return reply(bot, chatId, TEXTS.noCode);
        const linked = await sql.begin(async (tx) => {
          const [invite] = await tx<{ kind: string; extension: string | null }[]>`
            update telegram_invites set used_at = now(), used_by_chat = ${chatId}
            where code = ${arg} and enterprise = ${bot.enterprise} and used_at is null and expires_at > now()
            returning kind, extension`;
          if (!invite) {
            // Telegram redelivers an update it did not see acknowledged (a webhook answered late, polling
            // restarted with its offset lost): a code this chat already used, while the chat is still
            // linked, is the same /start again and answers as linked, not "invalid". Any other chat, or
            // this one after /stop, needs a new invite.
            const [again] = await tx`
              select 1 from telegram_invites i
              join telegram_recipients r on r.enterprise = i.enterprise and r.chat_id = i.used_by_chat and r.active
              where i.code = ${arg} and i.enterprise = ${bot.enterprise} and i.used_by_chat = ${chatId}`;
            if (!again) return null;
          } else {
            await tx`
              insert into telegram_recipients (enterprise, chat_id, user_id, kind, extension)
              values (${bot.enterprise}, ${chatId}, ${msg.from?.id ?? null}, ${invite.kind}, ${invite.extension})
              on conflict (enterprise, chat_id) do update set active = true, user_id = excluded.user_id,
                kind = excluded.kind, extension = coalesce(excluded.extension, telegram_recipients.extension), updated_at = now()`;
          }
          const [e] = await tx<{ name: string }[]>`select name from enterprises where number = ${bot.enterprise}`;
          return e?.name ?? bot.enterprise;
        });
        directory.forget(`rcp:${bot.enterprise}:${chatId}`);
        log.info({ enterprise: bot.enterprise, chatId, linked: !!linked }, 'telegram /start');
        return reply(bot, chatId, linked ? TEXTS.linked(linked) : TEXTS.badCode);
      }
      if (command === '/stop' || command?.startsWith('/stop@')) {
        await sql`update telegram_recipients set active = false, updated_at = now() where enterprise = ${bot.enterprise} and chat_id = ${chatId}`;
        directory.forget(`rcp:${bot.enterprise}:${chatId}`);
        log.info({ enterprise: bot.enterprise, chatId }, 'telegram /stop');
        return reply(bot, chatId, TEXTS.stopped);
      }
      return;
    }
    const cb = update.callback_query;
    if (cb) {
      const id = /^call:(\d{1,18})$/.exec(cb.data ?? '')?.[1];
      const answer = id
        ? await deps.callBack(bot.enterprise, id, cb.from.id).catch((err: unknown) => {
            // The asterisk service's failures are answered inside callBack: what lands here is a defect.
            log.error({ enterprise: bot.enterprise, err }, 'telegram click-to-call failed');
            return { text: CALL_TEXTS.unavailable, alert: true };
          })
        : { text: CALL_TEXTS.denied, alert: false };
      log.info({ enterprise: bot.enterprise, userId: cb.from.id, outcome: answer.text }, 'telegram click-to-call');
      try {
        const free = await limiter.acquire(bot.bot_id, null);
        await api
          .call(bot.token, 'answerCallbackQuery', {
            callback_query_id: cb.id,
            text: answer.text,
            show_alert: answer.alert,
          })
          .finally(free);
      } catch (err) {
        log.warn({ enterprise: bot.enterprise, error: (err as Error).message }, 'answerCallbackQuery failed');
      }
    }
  };
}

export type UpdateHandler = ReturnType<typeof createUpdateHandler>;
