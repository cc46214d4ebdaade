import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '@fleet/db';
import { readyReport, type ReadyCheck } from '@fleet/service';

/**
 * GET /ready (README, "Readiness"): the database (critical). The service keeps no outbox and no
 * LISTEN of its own: what it must still do lives in the gateway's deliveries (the gateway's /ready).
 */
export default async function readyRoutes(app: FastifyInstance): Promise<void> {
  app.get('/ready', async (_request, reply) => {
    const database = await pingDatabase(app.sql, 1000);
    const checks: Record<string, ReadyCheck> = {
      database: { ok: database, critical: true, ...(database ? {} : { reason: 'unreachable' }) },
    };
    return readyReport('retailcrm', checks, reply);
  });
}
