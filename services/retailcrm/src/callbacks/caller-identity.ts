// The caller's identity for managers' Telegram cards (issue 14 item 2), from the same
// telephony/manager?details=1 answer getcustomerdata reads: the customer's display name for people
// (not the dialplan-safe Name: quotes and commas stay, the card escapes them) and RetailCRM's ready links.
// Pure.
import { customerFullName } from './customer-data.ts';

/** RetailCRM's links, renamed for the card (customerLink → customer …); each an absolute http(s) URL. */
export interface CallerLinks {
  customer?: string;
  lastOrder?: string;
  newOrder?: string;
  newCustomer?: string;
}

/** The longest name kept (code points): a card shows one line per client. */
const MAX_DISPLAY_NAME = 100;
/** RetailCRM's links are an origin and a short path; anything longer is not one of them. */
const MAX_LINK = 1024;

/**
 * The customer's name as people write it: fullName, nickName, else last + first + patronymic, else name
 * (customerFullName). Control characters and line breaks become spaces; at most 100
 * code points; '' when there is none. Not escaped: the renderer escapes.
 */
export function customerDisplayName(customer: unknown): string {
  const full = customerFullName(customer);
  const cleaned = full
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return Array.from(cleaned).slice(0, MAX_DISPLAY_NAME).join('').trim();
}

function httpUrl(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > MAX_LINK) return undefined;
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** The usable links of a details=1 answer (api-client-php's SerializedLinks); others are dropped. */
export function callerLinksOf(links: unknown): CallerLinks {
  if (!links || typeof links !== 'object') return {};
  const l = links as Record<string, unknown>;
  const out: CallerLinks = {};
  const pairs: Array<[keyof CallerLinks, unknown]> = [
    ['customer', l.customerLink],
    ['lastOrder', l.lastOrderLink],
    ['newOrder', l.newOrderLink],
    ['newCustomer', l.newCustomerLink],
  ];
  for (const [k, v] of pairs) {
    const url = httpUrl(v);
    if (url) out[k] = url;
  }
  return out;
}

/** A customer is known when RetailCRM answered one with an id (details=1). */
export function isKnownCustomer(customer: unknown): boolean {
  if (!customer || typeof customer !== 'object') return false;
  const id = (customer as { id?: unknown }).id;
  return (typeof id === 'number' && id > 0) || (typeof id === 'string' && /^\d+$/.test(id));
}
