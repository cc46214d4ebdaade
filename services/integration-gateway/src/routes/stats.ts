import type { FastifyInstance } from 'fastify';

/** Registers GET /stats: the enablement cache, LISTEN, breakers and dispatch outcomes. */
export default async function statsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/stats', async () => ({
    cache: app.enablement.stats(),
    breakers: app.breakers.states(),
    dispatches: { ...app.dispatches },
  }));
}
