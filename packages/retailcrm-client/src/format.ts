import { RetailCrmError } from './errors.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * `ms` (epoch milliseconds) as RetailCRM's `Y-m-d H:i:s` wall-clock time in `timeZone` (IANA name),
 * e.g. formatCrmDate(0, 'Europe/Minsk') → '1970-01-01 03:00:00'. Throws RangeError on an unknown zone.
 */
export function formatCrmDate(ms: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

export interface RecordUrlParams {
  enterprise: string;
  uniqueId: string;
  callId: string;
}

/**
 * Fills `{enterprise}`, `{uniqueId}` and `{callId}` in a recording URL template (values URL-encoded),
 * e.g. 'https://rec.example/{enterprise}/{uniqueId}.mp3'. RetailCRM wants an absolute URL.
 * @throws RetailCrmError RCRM_INVALID_REQUEST when the result is not an absolute http(s) URL.
 */
export function buildRecordUrl(template: string, params: RecordUrlParams): string {
  const url = template.replace(/\{(enterprise|uniqueId|callId)\}/g, (_, name: keyof RecordUrlParams) =>
    encodeURIComponent(params[name]),
  );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`record URL template does not give an absolute URL: ${template}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalid('record URL must be http(s)');
  return url;
}

/**
 * The recording link of one call, shared by the CRM history record and the Telegram final message:
 * the enterprise's `record_url_template` (integrations_config.retailcrm) filled with the enterprise
 * number and the call id (as both `{uniqueId}` and `{callId}`), only for an answered call — an
 * unanswered one has nothing recorded; undefined without a template.
 * @throws RetailCrmError RCRM_INVALID_REQUEST as buildRecordUrl (a template that gives no absolute http(s) URL).
 */
export function recordUrlOf(
  template: string | null | undefined,
  enterprise: string,
  call: { callId: string; answered: boolean },
): string | undefined {
  if (!template || !call.answered) return undefined;
  return buildRecordUrl(template, { enterprise, uniqueId: call.callId, callId: call.callId });
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The API origin of an account from its configured domain: 'acme.retailcrm.ru' or
 * 'https://acme.retailcrm.ru/' → 'https://acme.retailcrm.ru'. Plain http only for loopback hosts (the fake).
 * @throws RetailCrmError RCRM_INVALID_REQUEST on anything else (the API key must not travel in clear).
 */
export function parseCrmOrigin(domain: string): string {
  const raw = domain.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    throw invalid(`RetailCRM domain is not a valid host or URL: ${JSON.stringify(domain)}`);
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw invalid('RetailCRM domain must be https (plain http only for 127.0.0.1/localhost)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('RetailCRM domain must be https');
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw invalid('RetailCRM domain must be an origin without path, query or credentials');
  }
  return url.origin;
}

function invalid(message: string): RetailCrmError {
  return new RetailCrmError({ code: 'RCRM_INVALID_REQUEST', message, transient: false });
}
