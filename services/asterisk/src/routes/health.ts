import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '@fleet/db';

/** GET /health: the database, and every host's breaker and connection (STYLE.md rule 7). */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async (_request, reply) => {
    const database = await pingDatabase(app.sql);
    reply.code(database ? 200 : 503);
    return { status: database ? 'ok' : 'unavailable', database, hosts: app.hosts.stats() };
  });
}
