// The answer hosts' dialplans split naively: a comma in a customer's name once dropped every call of
// an enterprise for days. So Name never contains commas, quotes, semicolons, pipes, newlines or
// control characters and has at most 64 characters; DialPlan matches ^mngr\d{2,6}_[0-9A-Za-z]+_1$ or
// is null. Pure.
import { sanitizeName } from '@fleet/validate';

export interface CustomerData {
  Name: string;
  DialPlan: string | null;
}

/** Fail-open answer: the dialplan goes on as if we knew nothing. */
export const UNKNOWN_CUSTOMER: CustomerData = Object.freeze({ Name: '', DialPlan: null }) as CustomerData;

const DIALPLAN_RE = /^mngr\d{2,6}_[0-9A-Za-z]+_1$/;

/** `mngr<ext>_<trunk>_1`, or null when either part is unusable. */
export function dialPlanFor(extension: string | null | undefined, trunk: unknown): string | null {
  if (!extension || typeof trunk !== 'string') return null;
  const d = `mngr${extension}_${trunk}_1`;
  return DIALPLAN_RE.test(d) ? d : null;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/**
 * The customer's name as RetailCRM's telephony/manager (details=1) gives it, tolerating either shape (?):
 * fullName, nickName, else last + first + patronymic, else name; trimmed, not cleaned; '' when none.
 */
export function customerFullName(customer: unknown): string {
  if (!customer || typeof customer !== 'object') return '';
  const c = customer as Record<string, unknown>;
  return (
    text(c.fullName) ||
    text(c.nickName) ||
    [c.lastName, c.firstName, c.patronymic].map(text).filter(Boolean).join(' ') ||
    text(c.name)
  );
}

/** The customer's display name for the host's dialplan (sanitizeName, at most 64). */
export function customerNameOf(customer: unknown): string {
  return sanitizeName(customerFullName(customer), 64);
}

/** manager → our extension: our own map of the RetailCRM user first, else RetailCRM's `code`. */
export function extensionOfManager(manager: unknown, userExtensions: Record<string, string>): string | null {
  if (!manager || typeof manager !== 'object') return null;
  const m = manager as { id?: unknown; code?: unknown };
  const mapped = m.id !== undefined ? userExtensions[String(m.id)] : undefined;
  if (mapped && /^\d{2,6}$/.test(mapped)) return mapped;
  const code = typeof m.code === 'string' || typeof m.code === 'number' ? String(m.code) : '';
  return /^\d{2,6}$/.test(code) ? code : null;
}

/** The whole answer, re-checked on the way out whatever produced it. */
export function safeAnswer(name: unknown, dialPlan: unknown): CustomerData {
  const Name = sanitizeName(name, 64);
  const DialPlan = typeof dialPlan === 'string' && DIALPLAN_RE.test(dialPlan) ? dialPlan : null;
  return { Name, DialPlan };
}
