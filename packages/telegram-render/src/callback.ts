// The callback line of a missed call's final message (issue 14 item 2): once a later answered call with
// the same client number reached the client (in or out, desk or mobile, click-to-call included), the
// missed final says who, when and how long after. Neutral Russian: the verb agrees with «клиент» or is
// impersonal («перезвонили», «ответили»), so nobody's gender is guessed.
import type { CallSummary } from '@fleet/call-model';
import type { CallerIdentity } from './caller.ts';
import { MAX_NAME } from './caller.ts';
import { clip, escapeHtml } from './html.ts';
import { zoneParts } from './format.ts';
import { personLabel, type RenderContext } from './card.ts';

/** The first answered call that reached the client of a missed call (telegram_cards.callback). */
export interface CallbackInfo {
  /** The answered call's id. */
  callId: string;
  /** 'out': a manager called the client back; 'in': the client called again and was answered. */
  direction: 'in' | 'out';
  /** Who talked to the client: an extension or a mobile number (CallSummary.answeredBy); null if unknown. */
  by: string | null;
  /** When the callback was answered, ms since epoch (CallSummary.answeredAt, our clock). */
  at: number;
}

/** `через 40 с`, `через 6 мин`, `через 2 ч 5 мин`, `через 2 ч`, `через 1 сут 3 ч` (ms; negative → 0 с). */
export function formatDelay(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `через ${s} с`;
  const min = Math.floor(s / 60);
  if (min < 60) return `через ${min} мин`;
  const h = Math.floor(min / 60);
  if (h < 24) return `через ${h} ч${min % 60 ? ` ${min % 60} мин` : ''}`;
  return `через ${Math.floor(h / 24)} сут${h % 24 ? ` ${h % 24} ч` : ''}`;
}

/** `14:32` in `timeZone`, or `15.09 14:32` when that is not the day of `sameDayAs` there. */
export function formatClock(ms: number, timeZone: string, sameDayAs: number): string {
  const parts = (t: number) => zoneParts(t, timeZone);
  const a = parts(ms);
  const b = parts(sameDayAs);
  const time = `${a.hour}:${a.minute}`;
  return a.day === b.day && a.month === b.month && a.year === b.year ? time : `${a.day}.${a.month} ${time}`;
}

/**
 * The line added to the final of the missed call `missed` when `cb` reached the client:
 * `↩️ Клиенту перезвонили (Анна Смирнова): Иван (151) в 14:32, через 6 мин` (outgoing) or
 * `↩️ Клиент позвонил снова (Анна Смирнова), ответили: Иван (151) в 14:32, через 6 мин` (incoming).
 * The name is RetailCRM's (escaped, clipped), only for a known customer; the delay counts from the
 * missed call's start (the card's «Начало»); times in the enterprise's zone.
 */
export function callbackLine(
  missed: Pick<CallSummary, 'startedAt'>,
  cb: CallbackInfo,
  ctx: Pick<RenderContext, 'extensions' | 'mobiles' | 'region' | 'timeZone'> & { caller?: CallerIdentity | null },
): string {
  const rawName =
    ctx.caller?.known && typeof ctx.caller.name === 'string' ? ctx.caller.name.replace(/\s+/g, ' ').trim() : '';
  const name = rawName ? ` (${escapeHtml(clip(rawName, MAX_NAME))})` : '';
  const head = cb.direction === 'out' ? `Клиенту перезвонили${name}` : `Клиент позвонил снова${name}, ответили`;
  const who = cb.by ? `: ${personLabel(cb.by, ctx)}` : '';
  return `↩️ ${head}${who} в ${formatClock(cb.at, ctx.timeZone, missed.startedAt)}, ${formatDelay(cb.at - missed.startedAt)}`;
}
