// Argument validators: pure, each returns the normalised value or throws a usage error (exit 2).
// The limits mirror the checks in sql/001_enterprises.sql, so a bad value is refused before the
// database sees it, with a message naming the option.
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

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * RetailCRM account URL: https, or plain http for a loopback host only (the local fake); no
 * credentials, query or fragment; returned without trailing slashes (`https://x.retailcrm.ru`).
 */
export function retailcrmDomain(v: string): string {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw usageError(`--domain ${JSON.stringify(v)} is not a URL (e.g. https://shop.retailcrm.ru)`);
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw usageError('--domain must use https (plain http only for 127.0.0.1, localhost, [::1])');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError('--domain must be an https URL');
  if (url.username || url.password || url.search || url.hash) {
    throw usageError('--domain must not contain credentials, a query or a fragment');
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
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
export function userId(v: string): string {
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) {
    throw usageError('--user must be a positive integer (RetailCRM user id)');
  }
  return String(Number(v));
}

/** Internal extension: 2..6 digits. */
export function extension(v: string): string {
  if (!/^\d{2,6}$/.test(v)) throw usageError('--extension must be 2 to 6 digits');
  return v;
}
