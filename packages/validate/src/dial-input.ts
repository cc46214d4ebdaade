// What a click-to-call request may carry to a host: validated here BEFORE anything touches a host, so
// that only ASCII digits ever reach a command line (PITFALLS.md: node-ssh execCommand passes a string
// to the remote shell). Pure.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** An extension is 2–6 ASCII digits (issue 6; hosts use 2–5, some 6). */
export const EXTENSION_RE = /^[0-9]{2,6}$/;

/** Raw CRM phones are short; anything longer is garbage or an attack. */
const MAX_RAW_PHONE = 40;
/**
 * What RetailCRM stores as a phone may contain: ASCII digits, spaces, `+ ( ) - .`. Everything else
 * (letters, shell metacharacters, quotes, newlines, non-ASCII digits that libphonenumber would
 * silently convert) is refused rather than stripped: stripping would turn an injection into a call.
 */
const PHONE_CHARS = /^\+?[0-9 ().-]+$/;

/** `^\d{2,6}$` in ASCII digits, nothing else (no trimming: the input must be exactly that). */
export function checkExtension(raw: unknown): Checked<string> {
  if (typeof raw !== 'string' || raw === '') return { ok: false, reason: 'extension is missing' };
  if (!EXTENSION_RE.test(raw)) return { ok: false, reason: 'extension must be 2 to 6 digits' };
  return { ok: true, value: raw };
}

/**
 * A client's number as the CRM stores it → E.164 digits WITHOUT the `+` (what hosts' outbound
 * dialplans expect: `Local/375440000001@inoffice`), parsed with the enterprise's default region.
 * National forms (`8 029 123-45-67`) become international; an 11+ digit number that fails in the
 * region is retried as international (PITFALLS.md: `375291234567` without `+` under RU).
 */
export function checkPhone(raw: unknown, region: string): Checked<string> {
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, reason: 'phone is missing' };
  if (raw.length > MAX_RAW_PHONE) return { ok: false, reason: `phone is longer than ${MAX_RAW_PHONE} characters` };
  const s = raw.replace(/^ +| +$/g, ''); // spaces only: a newline or tab is refused below
  if (!PHONE_CHARS.test(s))
    return { ok: false, reason: 'phone may contain only digits, spaces, a leading + and ( ) - .' };
  const digits = s.replace(/[^0-9]/g, '');
  if (digits.length < 7) return { ok: false, reason: 'phone is too short to be a client number' };
  if (digits.length > 15) return { ok: false, reason: 'phone has more than 15 digits' };
  const candidates = s.startsWith('+') ? [s] : digits.length >= 11 ? [s, `+${digits}`] : [s];
  for (const c of candidates) {
    const p = parsePhoneNumberFromString(c, region as CountryCode);
    if (p?.isValid()) {
      const e164 = p.number.slice(1);
      // libphonenumber's own output, re-checked: the only thing that goes on the wire.
      if (/^[0-9]{7,15}$/.test(e164)) return { ok: true, value: e164 };
    }
  }
  return { ok: false, reason: `phone is not a valid number (default region ${region})` };
}

/**
 * A display name for hosts' dialplans, which split on commas and pipes and choke on quotes: no
 * commas, quotes, semicolons, pipes, backslashes, `$` or backticks, no control characters, collapsed
 * whitespace, at most `max` characters.
 */
export function sanitizeName(raw: unknown, max = 64): string {
  if (typeof raw !== 'string') return '';
  const cleaned = raw
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/[,;|"'`\\$<>{}]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // Cut by code points so that a surrogate pair is never split.
  return Array.from(cleaned).slice(0, max).join('').trim();
}

/** A display name as it goes on a command line (dialplanName): whitelisted words joined by `..`. */
export const DIALPLAN_NAME_RE = /^[\p{L}0-9-]+(?:\.\.[\p{L}0-9-]+)*$/u;

/**
 * A client's display name for `database put extcall nextname_<ext> <value>` (hosts' dialplans read
 * ${DB(extcall/nextname_<ext>)} for the manager's phone screen). First sanitizeName's rule (what a
 * naive dialplan split chokes on), then, because the value reaches a shell and the Asterisk CLI, a
 * whitelist: letters of any script, ASCII digits and `-`; everything else separates words. The CLI
 * splits `database put` arguments on spaces, so words are joined by `..` as the predecessor's hosts
 * expect ("Иванов Пётр" → "Иванов..Пётр"). At most `max` characters (whole words; a single longer
 * word is cut); '' when nothing usable is left.
 */
export function dialplanName(raw: unknown, max = 64): string {
  const words = sanitizeName(raw, 1_000)
    .replace(/[^\p{L}0-9-]+/gu, ' ')
    .split(' ')
    .map((w) => w.replace(/^-+|-+$/g, ''))
    .filter(Boolean);
  let out = '';
  for (const w of words) {
    const next = out ? `${out}..${w}` : w;
    if (Array.from(next).length > max) {
      if (!out) out = Array.from(w).slice(0, max).join('').replace(/-+$/, '');
      break;
    }
    out = next;
  }
  return DIALPLAN_NAME_RE.test(out) ? out : '';
}
