// What a missed-call task says and who gets it (issue 14). Pure functions of the call summary, the
// enterprise's settings and RetailCRM's telephony/manager answer; times in the enterprise's zone.
import { formatCrmTaskDate } from '@fleet/retailcrm-client';
import type { CallSummary } from '@fleet/call-model';
import { managerOf } from './crm-requests.ts';
import type { RetailCrmSettings } from './settings.ts';

/** A customer call nobody answered, on a desk phone or a mobile: incoming only (an unanswered outgoing call is ours to repeat). */
export const isMissedCall = (call: CallSummary) =>
  call.kind === 'customer' && call.direction === 'in' && !call.answered;

/** A customer call that reached the client, in either direction (click-to-call and mobile answers included). */
export const reachedClient = (call: CallSummary) => call.kind === 'customer' && call.answered;

export type PerformerSource = 'responsible' | 'extension' | 'fallback';

/**
 * Who gets the task: the client's responsible manager (telephony/manager), else the RetailCRM user mapped
 * to the first extension that rang, else the enterprise's fallback user; undefined when none is known.
 */
export function performerOf(
  call: CallSummary,
  s: RetailCrmSettings,
  responsibleId: number | undefined,
): { performerId: number; source: PerformerSource } | undefined {
  if (responsibleId !== undefined) return { performerId: responsibleId, source: 'responsible' };
  const first = call.ringing[0];
  const mapped = first === undefined ? undefined : Object.entries(s.userExtensions).find(([, e]) => e === first)?.[0];
  if (mapped) return { performerId: Number(mapped), source: 'extension' };
  const fallback = s.missedCallTasks.fallbackUserId;
  return fallback === null ? undefined : { performerId: fallback, source: 'fallback' };
}

/** '2024-03-01 10:00' (formatCrmTaskDate) → '01.03.2024 10:00', as Russian users read dates. */
export function localTime(ms: number, timeZone: string): string {
  const [date, time] = formatCrmTaskDate(ms, timeZone).split(' ');
  const [y, m, d] = date!.split('-');
  return `${d}.${m}.${y} ${time}`;
}

/** The missed calls a task lists (the last ones, to keep the text short). */
const LISTED = 10;

/** The task's text: who called and when; with several calls, how many and when. */
export function missedTaskText(phone: string, calls: ReadonlyArray<{ at: number }>, timeZone: string): string {
  const times = [...calls].sort((a, b) => a.at - b.at).map((c) => localTime(c.at, timeZone));
  if (times.length <= 1) return `Пропущенный звонок от ${phone} в ${times[0] ?? '—'}. Перезвоните клиенту.`;
  const shown = times.slice(-LISTED);
  const more = times.length > LISTED ? `, последние: ${shown.join(', ')}` : `: ${shown.join(', ')}`;
  return `Пропущенные звонки от ${phone} (${times.length})${more}. Перезвоните клиенту.`;
}

/** The commentary of an edit that adds a missed call. */
export function mergedCommentary(calls: ReadonlyArray<{ at: number }>, timeZone: string): string {
  const last = Math.max(...calls.map((c) => c.at));
  return `Ещё один пропущенный звонок в ${localTime(last, timeZone)}; всего пропущено: ${calls.length}.`;
}

/** The commentary of the completion: who reached the client, how and when. */
export function callbackCommentary(call: CallSummary, s: RetailCrmSettings): string {
  const m = managerOf(call, s);
  const who =
    m.code !== undefined
      ? `${m.userId !== undefined ? `менеджер #${m.userId}, ` : ''}внутренний номер ${m.code}`
      : call.answeredBy
        ? `мобильный ${call.answeredBy}`
        : 'менеджер';
  const how = call.direction === 'out' ? 'исходящий звонок' : 'входящий звонок';
  const at = localTime(call.answeredAt ?? call.startedAt, s.timezone);
  return `Клиенту дозвонились: ${who}, ${how} в ${at}. Задача закрыта автоматически.`;
}
