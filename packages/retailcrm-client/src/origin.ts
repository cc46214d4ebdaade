// THE rule for a RetailCRM account address. One place, used by the admin page, `fleet retailcrm set`
// and the runtime: before it, the CLI accepted https://host/path and the runtime then refused it.
import { RetailCrmError } from './errors.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a RetailCRM address was refused (callers word it for their audience: the admin page, the CLI). */
export type CrmOriginRefusal = 'not_url' | 'not_https' | 'has_path' | 'too_long';

const REFUSAL_TEXT: Record<CrmOriginRefusal, string> = {
  not_url: 'RetailCRM domain is not a valid host or URL',
  not_https: 'RetailCRM domain must be https (plain http only for 127.0.0.1, localhost, [::1])',
  has_path: 'RetailCRM domain must be an origin without path, query, fragment or credentials',
  too_long: 'RetailCRM domain is longer than DNS allows (a label over 63 or a name over 253 characters)',
};

/**
 * THE rule for a RetailCRM account address, shared by the admin page, `fleet retailcrm set` and the
 * runtime (before a stored key is sent anywhere): 'acme.retailcrm.ru', 'https://acme.retailcrm.ru' or
 * 'https://acme.retailcrm.ru//' → origin 'https://acme.retailcrm.ru' (lower-cased, no trailing slash).
 * https anywhere (accounts may have their own domain), plain http only for loopback hosts (the fake);
 * no path, query, fragment or credentials (the API lives at the origin's /api); a host DNS can hold.
 * Returns the refusal instead of throwing, for callers that word it themselves.
 */
export function checkCrmOrigin(domain: string): { origin: string } | { refused: CrmOriginRefusal } {
  const raw = domain.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    return { refused: 'not_url' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { refused: 'not_https' };
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) return { refused: 'not_https' };
  if (!url.hostname) return { refused: 'not_url' };
  if (url.username || url.password || url.search || url.hash || !/^\/*$/.test(url.pathname))
    return { refused: 'has_path' };
  // A name DNS cannot hold was saved once and then failed every CRM call (issue 7's fuzz).
  if (url.hostname.length > 253 || url.hostname.split('.').some((label) => label.length > 63))
    return { refused: 'too_long' };
  return { origin: url.origin };
}

/**
 * The API origin of an account from its configured domain (the rule of checkCrmOrigin).
 * @throws RetailCrmError RCRM_INVALID_REQUEST naming the refusal (the API key must not travel in
 * clear, nor to a URL other than the account's origin).
 */
export function parseCrmOrigin(domain: string): string {
  const r = checkCrmOrigin(domain);
  if ('refused' in r)
    throw new RetailCrmError({
      code: 'RCRM_INVALID_REQUEST',
      transient: false,
      message: `${REFUSAL_TEXT[r.refused]}: ${JSON.stringify(domain.slice(0, 300))}`,
    });
  return r.origin;
}
