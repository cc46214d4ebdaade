// The loopback call to services/asterisk: POST /api/makecallexternal (form). The caller passes
// `deadlineMs` (shorter than `timeoutMs`), within which the service answers, with its reason even on
// a slow host; our own timeout only guards against the service itself hanging.
import { request, type Dispatcher } from 'undici';

export interface OriginateAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function askAsterisk(
  baseUrl: string,
  fields: Record<string, string>,
  timeoutMs: number,
  dispatcher?: Dispatcher,
): Promise<OriginateAnswer> {
  const res = await request(`${baseUrl.replace(/\/+$/, '')}/api/makecallexternal`, {
    method: 'POST',
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await res.body.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { success: false, message: text.slice(0, 200) };
  }
  return { status: res.statusCode, body };
}
