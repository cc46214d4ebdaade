import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '@fleet/db';
import { readyReport, type ReadyCheck } from '@fleet/service';

/**
 * GET /ready (README, "Readiness"): critical — the database and the LISTEN connection of the
 * enablement cache (without it config changes wait for the cache TTL; the cache's heartbeat restores
 * it within seconds); degraded only — open breakers (one tenant's CRM, not this instance). The backlog
 * of undelivered side effects is call-intake's outbox, reported on its /ready.
 */
export default async function readyRoutes(app: FastifyInstance): Promise<void> {
  app.get('/ready', async (_request, reply) => {
    const database = await pingDatabase(app.sql, 1000);
    const listen = app.enablement.stats().listen.state;
    const open = app.breakers.states().filter((b) => b.state !== 'closed');
    const checks: Record<string, ReadyCheck> = {
      database: { ok: database, critical: true, ...(database ? {} : { reason: 'unreachable' }) },
      listen: {
        ok: listen === 'listening',
        critical: true,
        state: listen,
        ...(listen === 'listening' ? {} : { reason: `LISTEN connection ${listen}` }),
      },
      breakers: {
        ok: open.length === 0,
        critical: false,
        open: open.map((b) => ({ enterprise: b.enterprise, integration: b.integration, state: b.state })),
        ...(open.length
          ? {
              reason: `${open.length} breaker(s) not closed: ${open
                .slice(0, 5)
                .map((b) => `${b.enterprise}/${b.integration} ${b.state}`)
                .join(', ')}`,
            }
          : {}),
      },
    };
    return readyReport('integration-gateway', checks, reply);
  });
}
