import type { CallSummary } from '@fleet/call-model';
import { callbackLine, type CallbackInfo } from './callback.ts';
import { callerSuffix, type CallerIdentity } from './caller.ts';
import { clip, escapeHtml } from './html.ts';
import { classifyNumber, formatPhone, UNKNOWN_NUMBER } from './phone.ts';
import { formatDuration, formatTime } from './format.ts';

/** The card stages of one call in one chat (shared/domain/telegram.md, "The life of one call"). */
export type CardStage = 'greeting' | 'ringing' | 'talking' | 'final';

/** Everything a card shows besides the call itself; directories are filled by the operator CLI. */
export interface RenderContext {
  /** ISO 3166 alpha-2 default region for phone parsing (enterprises.phone_region). */
  region: string;
  /** IANA zone of the enterprise (enterprises.timezone). */
  timeZone: string;
  /** extension → manager name. */
  extensions: Readonly<Record<string, string>>;
  /**
   * A manager's mobile → the manager's name (extension_directory.mobile, `fleet extension add --mobile`).
   * Keys are digits only (`375291234567`), the form the call model compares numbers in. Absent = none.
   */
  mobiles?: Readonly<Record<string, string>>;
  /** trunk id → line name. */
  lines: Readonly<Record<string, string>>;
  /** The client's name when the CRM knows it. */
  clientName?: string | null;
  /**
   * What RetailCRM knows of the client's number (its name, or «новый клиент»); wins over `clientName`.
   * Absent or null: nothing is shown (no CRM, or it did not answer in time).
   */
  caller?: CallerIdentity | null;
  /** http(s) link to the recording, shown on the final message. */
  recordingUrl?: string | null;
  /** The call that reached the client of this missed call (callback.ts): its line ends the final. */
  callback?: CallbackInfo | null;
}

export interface RenderedCard {
  /** HTML parse mode text, ≤ 4096 characters. */
  text: string;
  /** Telegram's disable_notification: false (loud) only for a missed incoming customer call. */
  disableNotification: boolean;
}

/**
 * The call as a card shows it: `recovered` is set by call-intake when some of the call's events were
 * read back from the host's post log after the host failed to deliver them (issue 7 §7).
 */
export type CardCall = CallSummary & { recovered?: boolean };

/** Last line of the final message of a recovered call. */
export const RECOVERED_LINE = '♻️ Восстановлено из журнала АТС (хост не смог доставить события вовремя)';

/** Telegram's limit on a message text (https://core.telegram.org/bots/api#sendmessage). */
export const MAX_TEXT = 4096;
/** More ringing managers than this collapse into an expandable blockquote. */
export const COLLAPSE_OVER = 4;

const TITLES = {
  greeting: { in: '📞 Входящий звонок (приветствие)', out: '📤 Исходящий звонок', internal: '☎️ Внутренний звонок' },
  ringing: { in: '📞 Входящий звонок', out: '📤 Исходящий звонок', internal: '☎️ Внутренний звонок' },
  talking: { in: '🗣 Разговор (входящий)', out: '🗣 Разговор (исходящий)', internal: '🗣 Разговор (внутренний)' },
  answered: {
    in: '✅ Успешный входящий звонок',
    out: '✅ Успешный исходящий звонок',
    internal: '✅ Успешный внутренний звонок',
  },
  missed: {
    in: '❌ Мы не подняли трубку',
    out: '❌ Абонент не поднял трубку',
    internal: '❌ Коллега не поднял трубку',
  },
} as const;

/** True when the final message of this call must notify (missed incoming customer call). */
export function isLoud(stage: CardStage, call: CallSummary): boolean {
  return stage === 'final' && call.kind === 'customer' && call.direction === 'in' && !call.answered;
}

/**
 * Renders the card of `call` at `stage` for one chat. Pure: the same input gives the same text, so
 * an unchanged card is never edited (Telegram answers 400 "message is not modified"). The direction
 * of an internal call (kind 'internal') is always shown as internal. Lists that would push the text
 * over 4096 characters are shortened ("… и ещё N").
 */
export function renderCard(stage: CardStage, call: CardCall, ctx: RenderContext): RenderedCard {
  const disableNotification = !isLoud(stage, call);
  for (const limit of [Infinity, 30, 10, 3, 0]) {
    const text = build(stage, call, ctx, limit);
    if (text.length <= MAX_TEXT) return { text, disableNotification };
  }
  return {
    // The callback line is short (names clipped), so it stays; the rest is what may be long.
    text: build(stage, call, { ...ctx, clientName: null, caller: null, recordingUrl: null }, 0).slice(0, MAX_TEXT),
    disableNotification,
  };
}

/** Last line of the final message of a call closed without its hangup (issue 7 §6). */
export const TIMEOUT_LINE = '⚠️ Закрыт без сигнала отбоя: hangup от АТС не пришёл';

function build(stage: CardStage, call: CardCall, ctx: RenderContext, limit: number): string {
  const dir = call.kind === 'internal' ? 'internal' : call.direction;
  const title = stage === 'final' ? (call.answered ? TITLES.answered[dir] : TITLES.missed[dir]) : TITLES[stage][dir];
  const lines = [`<b>${title}</b>`];
  const person = (id: string) => personLabel(id, ctx);

  if (dir === 'internal') {
    lines.push(`Звонит: ${person(call.phone)}`);
    const called = call.ringing.filter((e) => e !== call.phone);
    if (called.length) lines.push(list('Кому', called.map(person), limit));
  } else {
    lines.push(clientLine(call, ctx));
    const managers = managersOf(stage, call);
    const label =
      dir === 'out'
        ? 'Менеджер'
        : stage === 'ringing' || stage === 'greeting' || !call.answered
          ? 'Звонят'
          : 'Менеджер';
    if (managers.length) lines.push(list(label, managers.map(person), limit));
    if (call.trunk) lines.push(`Линия: ${lineLabel(call.trunk, ctx)}`);
  }

  if (stage === 'talking' && dir === 'internal' && call.talkedWith.length) {
    lines.push(list('Разговаривает', call.talkedWith.map(person), limit));
  }
  if (stage === 'final') {
    lines.push(`Начало: ${formatTime(call.startedAt, ctx.timeZone)}`);
    lines.push(
      call.answered ? `Разговор: ${formatDuration(call.durationSec)}` : `Ожидание: ${formatDuration(call.waitSec)}`,
    );
    const url = safeUrl(ctx.recordingUrl);
    if (url) lines.push(`🎧 <a href="${escapeHtml(url)}">Запись разговора</a>`);
    if (call.recovered) lines.push(RECOVERED_LINE);
    // The sweeper closed it (call model staleCallMs, CALL_STALE_MS): the PBX never sent the final hangup.
    if (call.closedByTimeout) lines.push(TIMEOUT_LINE);
    if (ctx.callback && !call.answered) lines.push(callbackLine(call, ctx.callback, ctx));
  }
  return lines.join('\n');
}

/** Who is shown as the call's manager(s) at this stage. */
function managersOf(stage: CardStage, call: CallSummary): string[] {
  if (call.direction === 'out') {
    const caller = call.answeredBy ?? call.ringing[0];
    return caller ? [caller] : [];
  }
  if (stage === 'greeting') return [];
  if ((stage === 'talking' || stage === 'final') && call.answered) {
    const talked = call.talkedWith.length ? call.talkedWith : call.answeredBy ? [call.answeredBy] : [];
    if (talked.length) return talked;
  }
  return [...call.ringing, ...call.mobiles.filter((m) => !call.ringing.includes(m))];
}

function clientLine(call: CallSummary, ctx: RenderContext): string {
  const phone = formatPhone(call.phone, ctx.region);
  const shown = phone === UNKNOWN_NUMBER ? phone : `<b>${escapeHtml(phone)}</b>`;
  if (ctx.caller) return `Клиент: ${shown}${callerSuffix(ctx.caller)}`;
  const name = ctx.clientName?.trim();
  return `Клиент: ${shown}${name ? ` — ${escapeHtml(clip(name, 200))}` : ''}`;
}

/**
 * `Иван Петров (151)` from the extension directory, `151` without a name; a mobile (FollowMe) as its
 * manager's name when the operator mapped it (`Иван Петров (мобильный)`: the events only carry the
 * number), else as the formatted number.
 */
export function personLabel(id: string, ctx: Pick<RenderContext, 'extensions' | 'region' | 'mobiles'>): string {
  const { kind, digits } = classifyNumber(id);
  if (kind === 'extension') {
    const name = ctx.extensions[digits];
    return name ? `${escapeHtml(clip(name, 100))} (${digits})` : digits;
  }
  if (kind === 'external') {
    const name = ctx.mobiles?.[digits];
    return `${escapeHtml(name ? clip(name, 100) : formatPhone(id, ctx.region))} (мобильный)`;
  }
  return escapeHtml(clip(id, 40) || '—');
}

/** `МТС (0001363)` from the line directory, else the trunk id. */
export function lineLabel(trunk: string, ctx: Pick<RenderContext, 'lines'>): string {
  const name = ctx.lines[trunk];
  return name ? `${escapeHtml(clip(name, 100))} (${escapeHtml(trunk)})` : escapeHtml(trunk);
}

/** Up to COLLAPSE_OVER entries inline; more in an expandable blockquote, at most `limit` of them listed. */
function list(label: string, items: string[], limit: number): string {
  if (items.length <= COLLAPSE_OVER) return `${label}: ${items.join(', ')}`;
  const shown = items.slice(0, Math.min(items.length, limit));
  const rest = items.length - shown.length;
  const body = [...shown, ...(rest ? [`… и ещё ${rest}`] : [])].join('\n');
  return `${label} (${items.length}):\n<blockquote expandable>${body}</blockquote>`;
}

function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}
