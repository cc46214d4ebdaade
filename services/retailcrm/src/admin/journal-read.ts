// The Journal section: integration_logs of one enterprise, newest first, filtered and paginated.
import type { Sql } from '@fleet/db';
import { redact } from '@fleet/retailcrm-admin';

export interface JournalQuery {
  page: number;
  phone?: string;
  callId?: string;
  status?: 'ok' | 'error';
  /** YYYY-MM-DD, inclusive, in the enterprise's time zone. */
  from?: string;
  to?: string;
}

export interface JournalRow {
  id: string;
  at: string;
  kind: string;
  callId: string | null;
  phone: string | null;
  method: string | null;
  url: string | null;
  statusCode: number | null;
  ok: boolean;
  error: string | null;
  latencyMs: number | null;
  request: string | null;
  response: string | null;
}

export const JOURNAL_PAGE_SIZE = 20;
const MAX_BODY = 20_000;

/** One page; `secrets` (the current API key) are scrubbed again on the way out. */
export async function readJournal(sql: Sql, enterprise: string, timezone: string, q: JournalQuery, secrets: string[]) {
  const digits = q.phone?.replace(/\D/g, '') ?? '';
  const where = sql`
    enterprise = ${enterprise}
    ${digits ? sql`and regexp_replace(coalesce(phone, ''), '\\D', '', 'g') like ${'%' + digits + '%'}` : sql``}
    ${q.callId ? sql`and call_id = ${q.callId}` : sql``}
    ${q.status ? sql`and ok = ${q.status === 'ok'}` : sql``}
    ${q.from ? sql`and created_at >= (${q.from}::date)::timestamp at time zone ${timezone}` : sql``}
    ${q.to ? sql`and created_at < (${q.to}::date + 1)::timestamp at time zone ${timezone}` : sql``}`;
  const [count] = await sql<{ total: number }[]>`select count(*)::int as total from integration_logs where ${where}`;
  const total = count?.total ?? 0;
  // Ordered by the bigint column, not by the selected `id::text` (that sorted "9" after "45").
  const rows = await sql<Array<Record<string, unknown>>>`
    select id::text, created_at, kind, call_id, phone, method, url, status_code, ok, error, latency_ms, request, response
    from integration_logs where ${where}
    order by integration_logs.id desc limit ${JOURNAL_PAGE_SIZE} offset ${(q.page - 1) * JOURNAL_PAGE_SIZE}`;
  const clip = (s: string) => (s.length > MAX_BODY ? `${s.slice(0, MAX_BODY)}…` : s);
  const out = (v: unknown) =>
    v === null || v === undefined
      ? null
      : clip(redact(typeof v === 'string' ? v : JSON.stringify(v, null, 2), secrets));
  return {
    total,
    page: q.page,
    pageSize: JOURNAL_PAGE_SIZE,
    rows: rows.map(
      (r): JournalRow => ({
        id: r.id as string,
        at: (r.created_at as Date).toISOString(),
        kind: r.kind as string,
        callId: (r.call_id as string | null) ?? null,
        phone: (r.phone as string | null) ?? null,
        method: (r.method as string | null) ?? null,
        url: out(r.url),
        statusCode: (r.status_code as number | null) ?? null,
        ok: r.ok as boolean,
        error: out(r.error),
        latencyMs: (r.latency_ms as number | null) ?? null,
        request: out(r.request),
        response: out(r.response),
      }),
    ),
  };
}

/**
 * Last success and last error of the integration (any kind), for the Connection section. An attempt
 * without an answer yet (state 'sent', usually in flight) is not an error to show there.
 */
export async function lastOutcomes(sql: Sql, enterprise: string, secrets: string[]) {
  const rows = await sql<
    { ok: boolean; created_at: Date; kind: string; error: string | null; response: string | null }[]
  >`
    (select ok, created_at, kind, error, response from integration_logs where enterprise = ${enterprise} and ok order by id desc limit 1)
    union all
    (select ok, created_at, kind, error, response from integration_logs where enterprise = ${enterprise} and not ok and state = 'done' order by id desc limit 1)`;
  const pick = (ok: boolean) => {
    const r = rows.find((x) => x.ok === ok);
    if (!r) return null;
    let detail = r.error ?? '';
    try {
      const body = JSON.parse(r.response ?? '') as { errorMsg?: string };
      if (body.errorMsg) detail = body.errorMsg;
    } catch {
      /* not JSON */
    }
    return { at: r.created_at.toISOString(), kind: r.kind, detail: redact(detail, secrets).slice(0, 500) };
  };
  return { lastSuccess: pick(true), lastError: pick(false) };
}
