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

/**
 * `ms` (epoch milliseconds) as a task's `datetime`: `Y-m-d H:i` wall-clock time in `timeZone` (IANA name;
 * api-client-php's Tasks\Task: DateTime<'Y-m-d H:i'>), e.g. formatCrmTaskDate(0, 'Europe/Minsk') →
 * '1970-01-01 03:00'. Seconds are dropped, not rounded. Throws RangeError on an unknown zone.
 */
export function formatCrmTaskDate(ms: number, timeZone: string): string {
  return formatCrmDate(ms, timeZone).slice(0, 16);
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

function invalid(message: string): RetailCrmError {
  return new RetailCrmError({ code: 'RCRM_INVALID_REQUEST', message, transient: false });
}
