// "Позвонить с <ext>" on a final message: calls the client back through services/asterisk's
// POST /api/makecallexternal on loopback (the same contract retailcrm's make-call uses): the presser's
// extension rings first, then the client. The pressing user's answer is a short Russian text with
// the error's code; never the host's detail (user@host:port, paths, key fingerprints: issue 15.3),
// which the asterisk service's `message` carries: that goes to our log and the integration journal
// (integration_logs, integration 'telegram', kind 'click-to-call'; the admin page shows it).
import { request } from 'undici';
import type { FastifyBaseLogger } from 'fastify';
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
  refused: (reason: string, code: string) => `Не удалось позвонить: ${reason} (код ${code}).`,
  unavailable: 'Сервис звонков недоступен. Попробуйте через минуту (код TG_ASTERISK_SERVICE_DOWN).',
  timeout:
    'Телефонная станция не ответила вовремя. Звонок, возможно, всё же начнется (код TG_ASTERISK_SERVICE_TIMEOUT).',
} as const;

/** The manager's reason when the asterisk service's answer has none (services/asterisk/src/manager-reasons.ts writes it). */
const fallbackReason = (status: number) => (status >= 500 ? 'телефонная станция не отвечает' : 'запрос отклонен');
/** A code a person can read out to support: the asterisk service's, else derived from the status. */
const CODE_RE = /^[A-Z][A-Z0-9_]{2,63}$/;

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
export function createClickToCall(deps: {
  sql: Sql;
  asteriskUrl: string;
  timeoutMs: number;
  region: (enterprise: string) => Promise<string>;
  log?: FastifyBaseLogger;
}): ClickToCall {
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
    let body: { success?: boolean; code?: string; message?: string; manager_reason?: string };
    const t0 = performance.now();
    const requestedBy = `telegram:${fromUserId}`;
    /** The attempt in the journal with the full detail (the presser got only the code and the reason). */
    const journal = async (statusCode: number | null, ok: boolean, answer: string, error: string | null) => {
      try {
        await deps.sql`
          insert into integration_logs (enterprise, integration, kind, phone, method, url, request, status_code, response, ok, error, latency_ms)
          values (${enterprise}, 'telegram', 'click-to-call', ${phone}, 'POST', '/api/makecallexternal',
                  ${deps.sql.json({ code: row.extension, phone, requestedBy })}, ${statusCode}, ${answer}, ${ok}, ${error}, ${Math.round(performance.now() - t0)})`;
      } catch (err) {
        deps.log?.warn({ enterprise, reason: (err as Error).message }, 'integration_logs write failed');
      }
    };
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        // wait=0: answer once the host took the originate; the user's own phone ringing is the confirmation.
        // deadlineMs: the asterisk service answers (504 with its reason) a second before we stop waiting, so
        // the presser hears why instead of "unavailable". No clientName: call-intake does not know the
        // CRM's names; the host then gets the number as the display name.
        body: new URLSearchParams({
          code: row.extension,
          phone,
          clientId: row.secret,
          requestedBy,
          wait: '0',
          deadlineMs: String(Math.max(500, deps.timeoutMs - 1_000)),
        }).toString(),
        headersTimeout: deps.timeoutMs,
        bodyTimeout: deps.timeoutMs,
      });
      status = res.statusCode;
      body = (await res.body.json().catch(() => ({}))) as typeof body;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const text = /TIMEOUT/.test(code) ? CALL_TEXTS.timeout : CALL_TEXTS.unavailable;
      deps.log?.warn(
        { enterprise, code, reason: (err as Error).message },
        'click-to-call: the asterisk service did not answer',
      );
      await journal(null, false, text, `asterisk service unreachable: ${code || (err as Error).message}`);
      return { text, alert: true };
    }
    if (status === 200 && body.success) {
      const text = CALL_TEXTS.calling(row.extension, formatPhone(phone, await deps.region(enterprise)));
      await journal(status, true, text, null);
      return { text, alert: false };
    }
    const code = typeof body.code === 'string' && CODE_RE.test(body.code) ? body.code : `HTTP_${status}`;
    const reason =
      typeof body.manager_reason === 'string' && body.manager_reason ? body.manager_reason : fallbackReason(status);
    const text = CALL_TEXTS.refused(reason, code);
    const detail = `${code}: ${typeof body.message === 'string' ? body.message : `asterisk service answered ${status}`}`;
    if (status >= 500) deps.log?.warn({ enterprise, code, reason: detail }, 'click-to-call failed');
    else deps.log?.info({ enterprise, code, reason: detail }, 'click-to-call refused');
    await journal(status, false, text, detail);
    return { text, alert: true };
  };
}
