// Argument validators: pure, each returns the normalised value or throws a usage error (exit 2).
// The limits mirror the checks in sql/001_enterprises.sql, so a bad value is refused before the
// database sees it, with a message naming the option.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { checkCrmOrigin, type CrmOriginRefusal } from '@fleet/retailcrm-client';
// The call model's own normaliser, so a stored mobile compares equal to what the model puts in answeredBy.
import { digits } from '@fleet/call-model';
import { usageError } from './errors.ts';

/** Returns the option's value or a usage error naming it. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw usageError(`--${name} is required`);
  return v;
}

/** Enterprise number: 1..16 digits (enterprises.number). */
export function enterpriseNumber(v: string, option = 'number'): string {
  if (!/^\d{1,16}$/.test(v)) throw usageError(`--${option} must be 1 to 16 digits`);
  return v;
}

/** Enterprise display name: 1..200 characters after trimming. */
export function enterpriseName(v: string): string {
  const name = v.trim();
  if (name.length < 1 || name.length > 200) throw usageError('--name must be 1 to 200 characters');
  return name;
}

/** Host token: 1..128 characters without whitespace (it travels in an HTTP header). */
export function hostToken(v: string): string {
  if (v.length < 1 || v.length > 128) throw usageError('--token must be 1 to 128 characters');
  if (/\s|"/.test(v)) throw usageError('--token must not contain spaces or quotes');
  return v;
}

/** IANA time zone known to Intl; returns its canonical spelling (`europe/minsk` → `Europe/Minsk`). */
export function timeZone(v: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: v }).resolvedOptions().timeZone;
  } catch {
    throw usageError(`--timezone ${JSON.stringify(v)} is not a known IANA time zone (e.g. Europe/Minsk)`);
  }
}

/** ISO 3166 alpha-2 country used as the default phone region; upper-cased. */
export function phoneRegion(v: string): string {
  const region = v.toUpperCase();
  if (!/^[A-Z]{2}$/.test(region)) throw usageError('--region must be a two-letter ISO country code (e.g. BY)');
  return region;
}

/** `true` or `false`, exactly. */
export function bool(v: string, option: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw usageError(`--${option} must be true or false`);
}

const DOMAIN_REFUSALS: Record<CrmOriginRefusal, string> = {
  not_url: 'is not a host or URL (e.g. https://shop.retailcrm.ru)',
  not_https: 'must use https (plain http only for 127.0.0.1, localhost, [::1])',
  has_path: 'must be the account origin only: no path, query, fragment or credentials',
  too_long: 'is longer than DNS allows',
};

/**
 * RetailCRM account address: @fleet/retailcrm-client's one rule (checkCrmOrigin), the same the admin
 * page and the runtime apply, so that the CLI cannot store an address the runtime then refuses.
 * Returns the origin (`https://x.retailcrm.ru`).
 */
export function retailcrmDomain(v: string): string {
  const r = checkCrmOrigin(v);
  if ('refused' in r) throw usageError(`--domain ${JSON.stringify(v.slice(0, 200))} ${DOMAIN_REFUSALS[r.refused]}`);
  return r.origin;
}

/** RetailCRM API key: 1..256 printable characters without whitespace. */
export function apiKey(v: string): string {
  if (v.length > 256 || !/^\S+$/.test(v)) throw usageError('--api-key must be 1 to 256 characters without spaces');
  return v;
}

/** Recording link template: an absolute http(s) URL (placeholders are filled by the gateway). */
export function recordUrlTemplate(v: string): string {
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw usageError('--record-url-template must be an absolute http(s) URL');
  }
  return v;
}

/** RetailCRM user id: a positive integer, returned as its decimal string (the JSON map's key). */
export function userId(v: string, option = 'user'): string {
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) {
    throw usageError(`--${option} must be a positive integer (RetailCRM user id)`);
  }
  return String(Number(v));
}

/** Minutes until a missed-call task is due: a whole number from 1 to `max`. */
export function dueMinutes(v: string, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw usageError(`--due-minutes must be a whole number of minutes from 1 to ${max}`);
  return Number(v);
}

/** Internal extension: 2..6 digits. */
export function extension(v: string): string {
  if (!/^\d{2,6}$/.test(v)) throw usageError('--extension must be 2 to 6 digits');
  return v;
}

/** `--mobile` text before any parsing: digits with an optional '+', spaces, brackets, dots and dashes. */
export function mobileShape(v: string): string {
  const s = v.trim();
  if (!/^\+?[\d\s().-]{6,30}$/.test(s) || digits(s).length < 6) {
    throw usageError(
      `--mobile ${JSON.stringify(v.slice(0, 40))} is not a phone number (digits, optional +, spaces, brackets, dashes)`,
    );
  }
  return s;
}

/**
 * A manager's mobile (FollowMe target) → the digits of its international form (`+375 (29) 123-45-67`,
 * or `8 029 123-45-67` under region BY → `375291234567`): the form sql/090_extension_mobiles.sql stores
 * and the call model compares numbers in (digits(), packages/call-model/src/numbers.ts). Parsed by
 * libphonenumber with the enterprise's default `region`; 11+ digits without '+' are also tried as
 * international (`375291234567` under region RU), as telegram-render's formatPhone does. Only a number
 * libphonenumber calls valid is accepted: a typo must not silently map nobody's calls.
 * @throws usage error (exit 2) with the reason.
 */
export function mobileNumber(v: string, region: string): string {
  const s = mobileShape(v);
  const all = digits(s);
  const candidates = s.startsWith('+') ? [s] : all.length >= 11 ? [s, `+${all}`] : [s];
  for (const c of candidates) {
    const p = parsePhoneNumberFromString(c, region as CountryCode);
    if (p?.isValid()) return digits(p.number);
  }
  throw usageError(
    `--mobile ${JSON.stringify(s)} is not a valid phone number in region ${region}; give it in international form, e.g. +375291234567`,
  );
}
