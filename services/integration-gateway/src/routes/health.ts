import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '@fleet/db';

/** Registers GET /health: 200 when the database answers, 503 otherwise; LISTEN and breakers for context. */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async (_request, reply) => {
    const db = await pingDatabase(app.sql);
    const openBreakers = app.breakers.states().filter((b) => b.state !== 'closed');
    reply.code(db ? 200 : 503);
    return {
      status: db ? 'ok' : 'unavailable',
      db,
      listen: app.enablement.stats().listen.state,
      openBreakers,
      uptimeSec: Math.round(process.uptime()),
    };
  });
}
