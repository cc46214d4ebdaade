import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '@fleet/db';
import { OUTBOX_LAG_WARN_SEC, readyReport, within, type ReadyCheck } from '@fleet/service';

/**
 * GET /ready (README, "Readiness"): critical — the database and the LISTEN connection of the
 * enablement cache (without it config changes wait for the cache TTL; the cache's heartbeat restores
 * it within seconds); degraded only — open breakers (one tenant's CRM, not this instance) and the
 * age of the oldest pending delivery.
 */
export default async function readyRoutes(app: FastifyInstance): Promise<void> {
  app.get('/ready', async (_request, reply) => {
    const [database, lag] = await Promise.all([
      pingDatabase(app.sql, 1000),
      within(
        () =>
          app.sql<{ oldest_s: number | null; pending: number }[]>`
            select extract(epoch from now() - min(created_at))::float as oldest_s, count(*)::int as pending
            from gateway_deliveries where status = 'pending'`.then((r) => r[0]!),
        1000,
        null,
      ),
    ]);
    const listen = app.enablement.stats().listen.state;
    const open = app.breakers.states().filter((b) => b.state !== 'closed');
    const checks: Record<string, ReadyCheck> = {
      database: { ok: database, critical: true, ...(database ? {} : { reason: 'unreachable' }) },
      listen: { ok: listen === 'listening', critical: true, state: listen, ...(listen === 'listening' ? {} : { reason: `LISTEN connection ${listen}` }) },
      breakers: {
        ok: open.length === 0,
        critical: false,
        open: open.map((b) => ({ enterprise: b.enterprise, integration: b.integration, state: b.state })),
        ...(open.length ? { reason: `${open.length} breaker(s) not closed: ${open.slice(0, 5).map((b) => `${b.enterprise}/${b.integration} ${b.state}`).join(', ')}` } : {}),
      },
    };
    if (lag) {
      const ok = (lag.oldest_s ?? 0) < OUTBOX_LAG_WARN_SEC;
      checks.outbox = { ok, critical: false, pending: lag.pending, oldestPendingSec: lag.oldest_s, ...(ok ? {} : { reason: `oldest pending delivery is ${Math.round(lag.oldest_s!)} s old` }) };
    }
    return readyReport('integration-gateway', checks, reply);
  });
}
