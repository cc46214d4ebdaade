import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '@fleet/db';

/** GET /health: 200 {status:'ok', database:true} when the database answers, 503 otherwise. */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async (_request, reply) => {
    const database = await pingDatabase(app.sql);
    reply.code(database ? 200 : 503);
    return { status: database ? 'ok' : 'unavailable', database };
  });
}
