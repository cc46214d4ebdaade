// The caller's identity on a card (issue 14 item 2): the customer's name as RetailCRM knows it, or
// «новый клиент», and URL buttons to the customer's card and orders from the `links` of
// GET /api/v5/telephony/manager?details=1 (services/retailcrm answers call-intake with this shape).
import { clip, escapeHtml } from './html.ts';
import type { InlineKeyboard } from './keyboard.ts';

/** Ready URLs of the account's UI (RetailCRM's links: customerLink, lastOrderLink, newOrderLink, newCustomerLink). */
export interface CallerLinks {
  customer?: string;
  lastOrder?: string;
  newOrder?: string;
  newCustomer?: string;
}

/**
 * What the CRM knows of the client's number: `known` false is a number RetailCRM has no customer for
 * («новый клиент»). No identity at all (null) is "we don't know": RetailCRM off, slow or down.
 */
export interface CallerIdentity {
  known: boolean;
  /** The customer's display name (any characters: escaped here). */
  name?: string;
  links?: CallerLinks;
}

/** Shown for a number RetailCRM has no customer for. */
export const NEW_CLIENT = 'новый клиент';
/** Longest name shown (characters, before escaping). */
export const MAX_NAME = 100;
/**
 * Longest URL put on a button. Telegram documents no limit for a button's URL, but the whole request is
 * bounded and RetailCRM's links are short (origin + /customers/123): anything longer is not one of them.
 */
export const MAX_BUTTON_URL = 1024;

/** ` — <name>` (escaped, clipped), ` — новый клиент`, or '' when nothing is known. */
export function callerSuffix(caller: CallerIdentity | null | undefined): string {
  if (!caller) return '';
  if (!caller.known) return ` — ${NEW_CLIENT}`;
  const name = typeof caller.name === 'string' ? caller.name.replace(/\s+/g, ' ').trim() : '';
  return name ? ` — ${escapeHtml(clip(name, MAX_NAME))}` : '';
}

/**
 * An http(s) URL Telegram accepts on an inline button (absolute, at most MAX_BUTTON_URL characters),
 * else null: a button with any other URL makes Telegram refuse the whole message (BUTTON_URL_INVALID).
 */
export function buttonUrl(url: unknown): string | null {
  if (typeof url !== 'string' || url.length > MAX_BUTTON_URL) return null;
  try {
    const u = new URL(url);
    if ((u.protocol !== 'https:' && u.protocol !== 'http:') || !u.hostname) return null;
    const s = u.toString();
    return s.length <= MAX_BUTTON_URL ? s : null;
  } catch {
    return null;
  }
}

const LABELS: ReadonlyArray<[keyof CallerLinks, string]> = [
  ['customer', 'Клиент'],
  ['lastOrder', 'Последний заказ'],
  ['newOrder', 'Новый заказ'],
];

/** The CRM buttons in one row: «Клиент», «Последний заказ», «Новый заказ», each only with a usable URL. */
export function callerButtons(caller: CallerIdentity | null | undefined): InlineKeyboard['inline_keyboard'][number] {
  const row: InlineKeyboard['inline_keyboard'][number] = [];
  for (const [key, text] of LABELS) {
    const url = buttonUrl(caller?.links?.[key]);
    if (url) row.push({ text, url });
  }
  return row;
}

/** The keyboard of a live (ringing, talking) card: the CRM buttons, or undefined when there are none. */
export function liveKeyboard(caller: CallerIdentity | null | undefined): InlineKeyboard | undefined {
  const row = callerButtons(caller);
  return row.length ? { inline_keyboard: [row] } : undefined;
}
