import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pingDatabase, type Sql } from '@fleet/db';
import { OUTBOX_LAG_WARN_SEC, readyReport, within, type ReadyCheck } from '@fleet/service';

/**
 * A self-NOTIFY on a channel of this instance, over the hot pool's LISTEN connection (postgres.js
 * keeps one per pool, shared with the directory's `enterprise_changed`): heard back means that
 * connection is up and listening. `enterprise_changed` itself is not pinged, as that would empty the
 * token cache at every probe.
 */
function listenProbe(sql: Sql) {
  const channel = `intake_ready_${randomBytes(6).toString('hex')}`;
  const waiting = new Map<string, () => void>();
  let sub: { unlisten(): Promise<unknown> } | null = null;
  const listen = async () => {
    sub = await sql.listen(channel, (nonce) => waiting.get(nonce)?.());
  };
  return {
    async heard(timeoutMs: number): Promise<boolean> {
      if (!sub) await within(listen, timeoutMs, undefined);
      if (!sub) return false;
      const nonce = randomBytes(6).toString('hex');
      const heard = new Promise<boolean>((ok) => waiting.set(nonce, () => ok(true)));
      try {
        return await within(() => sql`select pg_notify(${channel}, ${nonce})`.then(() => heard), timeoutMs, false);
      } finally {
        waiting.delete(nonce);
      }
    },
    close: async () => void (await sub?.unlisten().catch(() => {})),
  };
}

/**
 * GET /ready (README, "Readiness"): critical — the database, unless the outage journal takes events
 * (then degraded), and the journal not full; degraded only — the LISTEN connection (tokens are cached
 * 60 s at most without it), processing and outbox lag.
 */
export default async function readyRoutes(app: FastifyInstance, opts: { sql: Sql; hotSql: Sql }) {
  const probe = listenProbe(opts.hotSql);
  app.addHook('onClose', probe.close);

  app.get('/ready', async (_req, reply) => {
    const journal = app.journal?.status();
    const [database, listening, lag] = await Promise.all([
      pingDatabase(opts.sql, 1000),
      probe.heard(500),
      within(
        () =>
          opts.sql<{ outbox_s: number | null; outbox_pending: number; events_s: number | null }[]>`
            select (select extract(epoch from now() - min(created_at))::float from intake_outbox where status = 'pending') as outbox_s,
                   (select count(*)::int from intake_outbox where status = 'pending') as outbox_pending,
                   (select extract(epoch from now() - min(received_at))::float from call_events where processed_at is null) as events_s`.then((r) => r[0]!),
        1000,
        null,
      ),
    ]);
    const checks: Record<string, ReadyCheck> = {
      database: { ok: database, critical: !journal, ...(database ? {} : { reason: journal ? 'unreachable: host events go to the journal' : 'unreachable' }) },
      listen: { ok: listening, critical: false, ...(listening ? {} : { reason: 'LISTEN connection down: token changes seen only after the 60 s cache TTL' }) },
    };
    if (journal) {
      const reason = journal.full
        ? journal.reason!
        : `${journal.mode === 'journal' ? 'journaling' : 'draining'}: ${journal.bytes} bytes in ${journal.segments} segment(s), lag ${Math.round(journal.lagSec ?? 0)} s`;
      const ok = journal.mode === 'direct';
      checks.journal = { ok, critical: journal.full, ...(ok ? {} : { reason }), mode: journal.mode, bytes: journal.bytes, maxBytes: journal.maxBytes, lagSec: journal.lagSec };
    }
    if (lag) {
      const outboxOk = (lag.outbox_s ?? 0) < OUTBOX_LAG_WARN_SEC;
      const eventsOk = (lag.events_s ?? 0) < OUTBOX_LAG_WARN_SEC;
      checks.outbox = { ok: outboxOk, critical: false, pending: lag.outbox_pending, oldestPendingSec: lag.outbox_s, ...(outboxOk ? {} : { reason: `oldest pending delivery to the gateway is ${Math.round(lag.outbox_s!)} s old` }) };
      checks.processing = { ok: eventsOk, critical: false, oldestUnprocessedSec: lag.events_s, ...(eventsOk ? {} : { reason: `oldest unprocessed event is ${Math.round(lag.events_s!)} s old` }) };
    }
    return readyReport('call-intake', checks, reply);
  });
}
