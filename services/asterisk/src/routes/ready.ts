import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '@fleet/db';
import { readyReport, type ReadyCheck } from '@fleet/service';

/**
 * GET /ready (README, "Readiness"): the database (critical: hosts and originate records live there);
 * hosts whose breaker is not closed make it degraded only — one enterprise's unreachable PBX says
 * nothing about this instance.
 */
export default async function readyRoutes(app: FastifyInstance): Promise<void> {
  app.get('/ready', async (_request, reply) => {
    const database = await pingDatabase(app.sql, 1000);
    const open = app.hosts.stats().filter((h) => h.breaker !== 'closed');
    const checks: Record<string, ReadyCheck> = {
      database: { ok: database, critical: true, ...(database ? {} : { reason: 'unreachable' }) },
      hosts: {
        ok: open.length === 0,
        critical: false,
        open: open.map((h) => ({ host: h.host, breaker: h.breaker })),
        ...(open.length
          ? {
              reason: `${open.length} host breaker(s) not closed: ${open
                .slice(0, 5)
                .map((h) => `${h.host} ${h.breaker}`)
                .join(', ')}`,
            }
          : {}),
      },
    };
    return readyReport('asterisk', checks, reply);
  });
}
