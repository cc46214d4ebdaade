import type { FastifyInstance } from 'fastify';
import { pingDatabase, type Sql } from '@fleet/db';
import { OUTBOX_LAG_WARN_SEC, readyReport, within, type ReadyCheck } from '@fleet/service';
import type { SchemaGate } from '../schema.ts';

/**
 * GET /ready (README, "Readiness"): critical — the database, unless the outage journal takes events
 * (then degraded), and the journal not full; degraded only — the LISTEN connection (tokens are cached
 * 60 s at most without it), processing and outbox lag.
 */
export default async function readyRoutes(app: FastifyInstance, opts: { sql: Sql; schema: SchemaGate }) {
  app.get('/ready', async (_req, reply) => {
    const journal = app.journal?.status();
    const [database, listening, lag] = await Promise.all([
      pingDatabase(opts.sql, 1000),
      // A self-NOTIFY on enterprise_changed over the directory's LISTEN connection, heard back.
      app.directoryListener.heard(500),
      within(
        () =>
          opts.sql<{ outbox_s: number | null; outbox_pending: number; events_s: number | null }[]>`
            select (select extract(epoch from now() - min(created_at))::float from intake_outbox where status = 'pending') as outbox_s,
                   (select count(*)::int from intake_outbox where status = 'pending') as outbox_pending,
                   (select extract(epoch from now() - min(received_at))::float from call_events where processed_at is null) as events_s`.then(
            (r) => r[0]!,
          ),
        1000,
        null,
      ),
    ]);
    const checks: Record<string, ReadyCheck> = {
      database: {
        ok: database,
        critical: !journal,
        ...(database ? {} : { reason: journal ? 'unreachable: host events go to the journal' : 'unreachable' }),
      },
      listen: {
        ok: listening,
        critical: false,
        ...(listening ? {} : { reason: 'LISTEN connection down: token changes seen only after the 60 s cache TTL' }),
      },
    };
    // Started during an outage: migrations still to apply, the journal waits for them.
    if (!opts.schema.ready)
      checks.schema = { ok: false, critical: !journal, reason: opts.schema.reason ?? 'migrations pending' };
    if (journal) {
      const reason = journal.full
        ? journal.reason!
        : `${journal.mode === 'journal' ? 'journaling' : 'draining'}: ${journal.bytes} bytes in ${journal.segments} segment(s), lag ${Math.round(journal.lagSec ?? 0)} s`;
      const ok = journal.mode === 'direct';
      checks.journal = {
        ok,
        critical: journal.full,
        ...(ok ? {} : { reason }),
        mode: journal.mode,
        bytes: journal.bytes,
        maxBytes: journal.maxBytes,
        lagSec: journal.lagSec,
      };
    }
    if (lag) {
      const outboxOk = (lag.outbox_s ?? 0) < OUTBOX_LAG_WARN_SEC;
      const eventsOk = (lag.events_s ?? 0) < OUTBOX_LAG_WARN_SEC;
      checks.outbox = {
        ok: outboxOk,
        critical: false,
        pending: lag.outbox_pending,
        oldestPendingSec: lag.outbox_s,
        ...(outboxOk ? {} : { reason: `oldest pending delivery to the gateway is ${Math.round(lag.outbox_s!)} s old` }),
      };
      checks.processing = {
        ok: eventsOk,
        critical: false,
        oldestUnprocessedSec: lag.events_s,
        ...(eventsOk ? {} : { reason: `oldest unprocessed event is ${Math.round(lag.events_s!)} s old` }),
      };
    }
    return readyReport('call-intake', checks, reply);
  });
}
