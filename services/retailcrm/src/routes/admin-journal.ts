// GET /retailcrm-admin/api/journal: the Journal section (integration_logs of the session's enterprise).
import type { FastifyInstance } from 'fastify';
import { readJournal } from '../admin/journal-read.ts';
import { readConnection } from '@fleet/retailcrm-admin';

export default async function adminJournalRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: Record<string, unknown> }>('/journal', async (request) => {
    // A repeated parameter arrives as an array (?phone=1&phone=2): only a single string is a filter.
    const q = Object.fromEntries(Object.entries(request.query).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string | undefined
    >;
    const page = Math.max(1, Math.min(10_000, Number.parseInt(q.page ?? '1', 10) || 1));
    // A real calendar day: 2024-02-30 or 9999-99-99 would fail PostgreSQL's ::date cast with a 500.
    const day = (v: string) => new Date(`${v}T00:00:00Z`);
    const date = (v: string | undefined) =>
      v &&
      /^\d{4}-\d{2}-\d{2}$/.test(v) &&
      v >= '1970-01-01' &&
      !Number.isNaN(day(v).getTime()) &&
      day(v).toISOString().startsWith(v)
        ? v
        : undefined;
    const status = q.status === 'ok' || q.status === 'error' ? q.status : undefined;
    const conn = (await readConnection(app.sql, app.adminCtx.secretsKey, request.adminSession!.enterprise))!;
    return readJournal(
      app.sql,
      conn.enterprise,
      conn.timezone,
      {
        page,
        phone: q.phone?.slice(0, 40) || undefined,
        callId: q.callId?.slice(0, 100) || undefined,
        status,
        from: date(q.from),
        to: date(q.to),
      },
      conn.apiKey ? [conn.apiKey] : [],
    );
  });
}
