import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export const UNKNOWN_NUMBER = 'Номер не определен';

export type NumberKind = 'unknown' | 'extension' | 'trunk' | 'external';

/**
 * What a number from a host event is, before any phone parsing (PITFALLS.md: libphonenumber turns the
 * extension `101` into `+7101`). Hosts send '', `<unknown>`, `Anonymous`, `SIP/150`, with or without
 * '+' (shared/domain/asterisk-events.md): 2–5 digits is an internal extension, 7 digits starting with
 * 0 a GSM trunk id (`0001363`), anything longer an external number.
 */
export function classifyNumber(raw: string): { kind: NumberKind; digits: string } {
  const s = raw.trim().replace(/^SIP\//i, '');
  const digits = s.replace(/[^\d]/g, '');
  if (!digits || !/^\+?[\d\s()\-]+$/.test(s)) return { kind: 'unknown', digits: '' };
  if (digits.length >= 2 && digits.length <= 5) return { kind: 'extension', digits };
  if (digits.length === 7 && digits.startsWith('0')) return { kind: 'trunk', digits };
  if (digits.length < 6) return { kind: 'unknown', digits: '' };
  return { kind: 'external', digits };
}

/**
 * Formats an external number for people: `+375 (29) 123-45-67`, `+7 (495) 000-00-03`. Parsed with
 * the enterprise's default `region`; only `isValid()` results count, and an 11+ digit string that
 * fails is retried with a leading '+' (`375291234567` under region RU). Extensions and trunk ids come
 * back as their digits; an empty or hidden number as "Номер не определен"; an external number no rule
 * accepts as its digits (with '+' when it had one), since a raw number still helps a manager.
 */
export function formatPhone(raw: string, region: string): string {
  const { kind, digits } = classifyNumber(raw);
  if (kind === 'unknown') return UNKNOWN_NUMBER;
  if (kind !== 'external') return digits;
  const plus = raw.trim().startsWith('+');
  const candidates = plus ? [`+${digits}`] : digits.length >= 11 ? [digits, `+${digits}`] : [digits];
  for (const c of candidates) {
    const p = parsePhoneNumberFromString(c, region as CountryCode);
    if (p?.isValid()) return humanInternational(p.formatInternational());
  }
  return plus ? `+${digits}` : digits;
}

/** `+375 29 123 45 67` → `+375 (29) 123-45-67`: area code in parentheses, subscriber digits dashed. */
function humanInternational(intl: string): string {
  const groups = intl.split(' ');
  if (groups.length < 3) return intl;
  return `${groups[0]} (${groups[1]}) ${groups.slice(2).join('-')}`;
}
