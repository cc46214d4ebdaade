// One outbound-HTTP policy for RetailCRM (STYLE.md rule 7): form encoding per the contract, a timeout
// per attempt, the shared per-key rate limiter before every attempt, bounded retries with jitter that
// honour Retry-After, coded errors, and an exchange record per attempt with the key kept out of it.
import { request, type Dispatcher } from 'undici';
import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import { RetailCrmError } from './errors.ts';
import type { RateBucket, RateLimiter } from './limiter.ts';

/** What onAttempt receives before an attempt leaves. Never contains the API key. */
export interface CrmAttempt {
  /** Unique per attempt; the same id reaches onExchange, so a journal can complete the entry it began. */
  attemptId: string;
  method: 'GET' | 'POST';
  /** Full URL without the key. */
  url: string;
  path: string;
  /** As in CrmExchange.request. */
  request: Record<string, unknown>;
  /** 1 for the first attempt. */
  attempt: number;
}

/** What onExchange receives for every attempt. Never contains the API key. */
export interface CrmExchange {
  /** The id onAttempt received for this attempt. */
  attemptId: string;
  method: 'GET' | 'POST';
  /** Full URL without the key (the key travels only in the X-API-KEY header). */
  url: string;
  /** Path after the origin, e.g. '/api/v5/telephony/call/event'. */
  path: string;
  /** POST form fields as sent, JSON fields decoded (`{ event: {...} }`); GET query parameters. */
  request: Record<string, unknown>;
  /** HTTP status; undefined when no response arrived (timeout, network). */
  status: number | undefined;
  /** Response body text, as received. */
  response: string | undefined;
  latencyMs: number;
  /** 1 for the first attempt. */
  attempt: number;
  ok: boolean;
  error: { code: string; message: string } | undefined;
}

export interface RetryPolicy {
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** First backoff, ms (default 200), doubled per retry, randomised ×1..2. */
  minTimeoutMs?: number;
  /** Longest backoff, ms (default 2000). */
  maxTimeoutMs?: number;
  /** A Retry-After longer than this (ms, default 5000) is not waited for: the error is returned. */
  maxRetryAfterMs?: number;
}

export interface TransportOptions {
  origin: string;
  apiKey: string;
  timeoutMs: number;
  dispatcher: Dispatcher | undefined;
  limiter: RateLimiter;
  retry: RetryPolicy;
  onExchange: ((x: CrmExchange) => void | Promise<void>) | undefined;
  /**
   * Awaited before each attempt is sent. A rejection cancels the attempt (RCRM_NOT_SENT): a journal
   * that must show every attempt, even one whose process is killed before the answer, cannot be
   * skipped by sending anyway.
   */
  onAttempt?: ((a: CrmAttempt) => Promise<void>) | undefined;
}

export interface CrmCall {
  method: 'GET' | 'POST';
  path: string;
  bucket: RateBucket;
  /** POST: objects/arrays become ONE field holding a JSON string (`event=<json>`), per the contract. */
  fields?: Record<string, unknown>;
  /** GET query parameters; as pairs when a name repeats (`filter[performers][]=18&filter[performers][]=19`). */
  query?: Record<string, string> | Array<[string, string]>;
  /**
   * False for a request RetailCRM performs again when it is repeated (`call/event`: no idempotency key,
   * a second popup or a second close): it is retried only when the failed attempt certainly was not
   * performed (RetailCrmError.unknownOutcome false). Default true (reads, `calls/upload` by externalId,
   * the module edit).
   */
  repeatable?: boolean;
}

/** Sends `call` with retries; resolves with the parsed success body or throws RetailCrmError. */
export async function send<T>(opts: TransportOptions, call: CrmCall): Promise<T> {
  const retries = opts.retry.retries ?? 2;
  const maxRetryAfterMs = opts.retry.maxRetryAfterMs ?? 5000;
  return pRetry((attempt) => attemptOnce<T>(opts, call, attempt), {
    retries,
    minTimeout: opts.retry.minTimeoutMs ?? 200,
    maxTimeout: opts.retry.maxTimeoutMs ?? 2000,
    factor: 2,
    randomize: true,
    // Retry only what may succeed later: 503 (rate limit), other gateway 5xx, timeouts, network errors —
    // and for a call RetailCRM would perform twice (call/event), only what certainly was not performed.
    shouldRetry: ({ error }) => retryable(error, call),
    onFailedAttempt: async ({ error, retriesLeft }) => {
      if (retriesLeft === 0 || !retryable(error, call)) return;
      if (error.retryAfterMs !== undefined) {
        // Honour Retry-After on top of the jittered backoff; a longer pause than we can afford → give up.
        if (error.retryAfterMs > maxRetryAfterMs) throw error;
        await new Promise((r) => setTimeout(r, error.retryAfterMs));
      }
    },
  });
}

function retryable(err: unknown, call: CrmCall): err is RetailCrmError {
  return err instanceof RetailCrmError && isRetryable(err) && (call.repeatable !== false || !err.unknownOutcome);
}

function isRetryable(err: RetailCrmError): boolean {
  if (err.code === 'RCRM_TIMEOUT' || err.code === 'RCRM_NETWORK' || err.code === 'RCRM_RATE_LIMITED') return true;
  return err.code === 'RCRM_HTTP_ERROR' && (err.status === 502 || err.status === 504);
}

async function attemptOnce<T>(opts: TransportOptions, call: CrmCall, attempt: number): Promise<T> {
  const release = await opts.limiter.acquire(opts.apiKey, call.bucket);
  const url = new URL(call.path, opts.origin);
  for (const [k, v] of Array.isArray(call.query) ? call.query : Object.entries(call.query ?? {}))
    url.searchParams.append(k, v);
  const form = call.method === 'POST' ? encodeForm(call.fields ?? {}) : undefined;
  const attemptId = randomUUID();
  const logged = redact(
    call.method === 'POST' ? (call.fields ?? {}) : queryRecord(url.searchParams),
    opts.apiKey,
  ) as Record<string, unknown>;
  if (opts.onAttempt) {
    try {
      await opts.onAttempt({
        attemptId,
        method: call.method,
        url: url.toString(),
        path: url.pathname,
        request: logged,
        attempt,
      });
    } catch (err) {
      release();
      throw new RetailCrmError({
        code: 'RCRM_NOT_SENT',
        transient: true,
        message: 'the attempt was not sent: its journal entry could not be written',
        cause: err,
      });
    }
  }
  const started = performance.now();
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeoutMs);
  let status: number | undefined;
  let text: string | undefined;
  let error: RetailCrmError | undefined;
  let result: T | undefined;
  try {
    const res = await request(url, {
      method: call.method,
      dispatcher: opts.dispatcher,
      signal: ctl.signal,
      headers: {
        'x-api-key': opts.apiKey,
        accept: 'application/json',
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      body: form,
    });
    status = res.statusCode;
    text = await res.body.text();
    result = interpret<T>(status, res.headers['retry-after'], text);
  } catch (err) {
    error = err instanceof RetailCrmError ? err : transportError(err, ctl.signal.aborted, opts.timeoutMs);
  } finally {
    clearTimeout(timer);
    release();
  }
  await report(opts, {
    attemptId,
    method: call.method,
    url: url.toString(),
    path: url.pathname,
    request: logged,
    status,
    response: text === undefined ? undefined : scrub(text, opts.apiKey),
    latencyMs: Math.round(performance.now() - started),
    attempt,
    ok: error === undefined,
    error: error && { code: error.code, message: scrub(error.message, opts.apiKey) },
  });
  if (error) throw error;
  return result as T;
}

/** Query parameters for the journal: a repeated name as the array of its values. */
function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of new Set(params.keys())) {
    const all = params.getAll(k);
    out[k] = all.length > 1 ? all : all[0]!;
  }
  return out;
}

/** Scalars as they are, objects and arrays as ONE JSON-string field; undefined fields are dropped. */
export function encodeForm(fields: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    p.set(k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  }
  return p.toString();
}

function interpret<T>(status: number, retryAfter: string | string[] | undefined, text: string): T {
  let body: { success?: unknown; errorMsg?: unknown; errors?: unknown } | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as typeof body;
  } catch {
    body = undefined;
  }
  const errorMsg = typeof body?.errorMsg === 'string' ? body.errorMsg : undefined;
  const base = { status, errorMsg, errors: body?.errors };
  if (status === 503 || status === 429) {
    return fail({
      ...base,
      code: 'RCRM_RATE_LIMITED',
      transient: true,
      retryAfterMs: parseRetryAfter(retryAfter),
      message: `RetailCRM answered ${status}${errorMsg ? `: ${errorMsg}` : ''}`,
    });
  }
  if (status >= 500) {
    // A proxy's 502/504 or a server error: the request may have been performed behind it.
    return fail({
      ...base,
      code: 'RCRM_HTTP_ERROR',
      transient: true,
      unknownOutcome: true,
      message: `RetailCRM answered ${status}`,
    });
  }
  if (status === 401 || status === 403) {
    return fail({
      ...base,
      code: 'RCRM_UNAUTHORIZED',
      transient: false,
      message: `RetailCRM refused the API key (${status})${errorMsg ? `: ${errorMsg}` : ''}`,
    });
  }
  if (body?.success === false) {
    return fail({
      ...base,
      code: 'RCRM_REJECTED',
      transient: false,
      message: `RetailCRM rejected the request (${status}): ${errorMsg ?? 'no errorMsg'}`,
    });
  }
  if (status >= 400 || status < 200) {
    return fail({ ...base, code: 'RCRM_HTTP_ERROR', transient: false, message: `RetailCRM answered ${status}` });
  }
  if (body?.success !== true) {
    return fail({
      ...base,
      code: 'RCRM_BAD_RESPONSE',
      transient: true,
      unknownOutcome: true,
      message: `RetailCRM answered ${status} without {"success":true}`,
    });
  }
  return body as T;
}

function fail(init: ConstructorParameters<typeof RetailCrmError>[0]): never {
  throw new RetailCrmError(init);
}

/** Errors raised before a connection existed: the request was certainly not sent. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function transportError(err: unknown, timedOut: boolean, timeoutMs: number): RetailCrmError {
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  const unknownOutcome = !NOT_CONNECTED.has(code ?? '');
  if (
    timedOut ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new RetailCrmError({
      code: 'RCRM_TIMEOUT',
      transient: true,
      unknownOutcome,
      message: `RetailCRM did not answer within ${timeoutMs} ms`,
      cause: err,
    });
  }
  return new RetailCrmError({
    code: 'RCRM_NETWORK',
    transient: true,
    unknownOutcome,
    message: `RetailCRM unreachable: ${code ?? e.name ?? ''} ${e.message ?? ''}`.trim(),
    cause: err,
  });
}

/** Retry-After as seconds or an HTTP date → ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const SECRET_FIELDS = new Set(['apiKey', 'api_key', 'clientId']);

/** A copy for the journal: the key removed wherever it appears, secret-named fields (module clientId) masked. */
function redact(value: unknown, apiKey: string): unknown {
  if (typeof value === 'string') return scrub(value, apiKey);
  if (Array.isArray(value)) return value.map((v) => redact(v, apiKey));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_FIELDS.has(k) && typeof v === 'string' ? '[redacted]' : redact(v, apiKey),
      ]),
    );
  }
  return value;
}

function scrub(text: string, apiKey: string): string {
  return apiKey ? text.split(apiKey).join('[redacted]') : text;
}

async function report(opts: TransportOptions, x: CrmExchange): Promise<void> {
  if (!opts.onExchange) return;
  try {
    await opts.onExchange(x);
  } catch {
    // A failing journal must never fail or repeat the CRM call itself.
  }
}
