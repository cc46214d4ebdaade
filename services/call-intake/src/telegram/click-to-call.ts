// "Позвонить с <ext>" on a final message: calls the client back through services/asterisk's
// POST /api/makecallexternal on loopback (the same contract retailcrm's make-call uses): the presser's
// extension rings first, then the client. The pressing user's answer is a short Russian text.
import { request } from 'undici';
import type { Sql } from '@fleet/db';
import type { CallSummary } from '@fleet/call-model';
import { formatPhone } from '@fleet/telegram-render';

export const CALL_TEXTS = {
  calling: (ext: string, phone: string) => `📞 Звоним: сначала зазвонит ваш ${ext}, затем ${phone}.`,
  denied: 'Эта кнопка не для вас.',
  noExtension: 'У вас не указан внутренний номер: звонок не с чего начать.',
  internal: 'Это внутренний звонок: наберите коллегу со своего телефона.',
  noPhone: 'Номер клиента не определен: перезвонить нельзя.',
  noHost: 'Звонки из Telegram для вашей компании не настроены (нет АТС).',
  refused: (reason: string) => `Не удалось позвонить: ${reason}.`,
  unavailable: 'Сервис звонков недоступен. Попробуйте через минуту.',
  timeout: 'АТС не ответила вовремя. Звонок, возможно, всё же начнется.',
} as const;

/** Reasons people can act on, by services/asterisk's error code (src/errors.ts, @fleet/asterisk-host). */
const REASONS: Record<string, string> = {
  AST_INVALID_REQUEST: 'номер не подходит для звонка',
  AST_UNAUTHORIZED: 'АТС компании не принимает звонки из Telegram',
  AST_ENTERPRISE_INACTIVE: 'компания отключена',
  AST_ORIGINATE_REFUSED: 'АТС отказалась начать звонок',
  AST_ASTERISK_UNAVAILABLE: 'АТС сейчас не работает',
  AST_NEXTCALL_FAILED: 'АТС отказалась начать звонок',
};

export interface ClickToCall {
  /** The answer for the user who pressed the button of card `cardId` (an opaque id from callback data). */
  (enterprise: string, cardId: string, fromUserId: number): Promise<{ text: string; alert: boolean }>;
}

/**
 * The handler behind the button. The presser must be an active recipient of the card's enterprise
 * (as the user who linked the chat, or as the private chat itself); the call starts from the
 * presser's own extension. clientId is the enterprise's originate secret from asterisk_hosts: it
 * goes only over loopback, never into callback data or a message.
 */
export function createClickToCall(deps: { sql: Sql; asteriskUrl: string; timeoutMs: number; region: (enterprise: string) => Promise<string> }): ClickToCall {
  const url = `${deps.asteriskUrl.replace(/\/+$/, '')}/api/makecallexternal`;
  return async (enterprise, cardId, fromUserId) => {
    const [row] = await deps.sql<{ call: CallSummary; extension: string | null; secret: string | null }[]>`
      select c.call, r.extension, h.originate_secret as secret
      from telegram_cards c
      join telegram_recipients r on r.enterprise = c.enterprise and r.active and (r.user_id = ${fromUserId} or r.chat_id = ${fromUserId})
      left join asterisk_hosts h on h.enterprise = c.enterprise
      where c.id = ${cardId} and c.enterprise = ${enterprise}
      order by r.extension is null, r.id limit 1`;
    if (!row) return { text: CALL_TEXTS.denied, alert: false };
    if (!row.extension) return { text: CALL_TEXTS.noExtension, alert: true };
    if (row.call.kind === 'internal') return { text: CALL_TEXTS.internal, alert: true };
    const phone = row.call.phone ?? '';
    if ((phone.match(/\d/g) ?? []).length < 5) return { text: CALL_TEXTS.noPhone, alert: true };
    if (!row.secret) return { text: CALL_TEXTS.noHost, alert: true };
    let status: number;
    let body: { success?: boolean; code?: string };
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        // wait=0: answer once the host took the originate; the user's own phone ringing is the confirmation.
        // deadlineMs: the asterisk service answers (504 with its reason) a second before we stop waiting, so
        // the presser hears why instead of "unavailable". No clientName: call-intake does not know the
        // CRM's names; the host then gets the number as the display name.
        body: new URLSearchParams({
          code: row.extension, phone, clientId: row.secret, requestedBy: `telegram:${fromUserId}`, wait: '0',
          deadlineMs: String(Math.max(500, deps.timeoutMs - 1_000)),
        }).toString(),
        headersTimeout: deps.timeoutMs,
        bodyTimeout: deps.timeoutMs,
      });
      status = res.statusCode;
      body = (await res.body.json().catch(() => ({}))) as typeof body;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      return { text: /TIMEOUT/.test(code) ? CALL_TEXTS.timeout : CALL_TEXTS.unavailable, alert: true };
    }
    if (status === 200 && body.success) return { text: CALL_TEXTS.calling(row.extension, formatPhone(phone, await deps.region(enterprise))), alert: false };
    if (body.code === 'AST_HOST_COMMAND_TIMEOUT' || status === 504) return { text: CALL_TEXTS.timeout, alert: true };
    const reason = (body.code && REASONS[body.code]) ?? (status >= 500 ? 'АТС не отвечает' : 'запрос отклонен');
    return { text: CALL_TEXTS.refused(reason), alert: true };
  };
}
