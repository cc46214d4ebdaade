import type { FastifyInstance } from 'fastify';
import { deliveryCounts, recentDeadLetters } from '../plugins/delivery-store.ts';
import { DatabaseUnavailableError } from '../errors.ts';

/** Registers GET /stats: cache, LISTEN, breakers, worker counters and the outbox by status. */
export default async function statsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/stats', async () => {
    let deliveries, deadLetters;
    try {
      [deliveries, deadLetters] = await Promise.all([deliveryCounts(app.sql), recentDeadLetters(app.sql)]);
    } catch (err) {
      throw new DatabaseUnavailableError((err as Error).message);
    }
    return {
      cache: app.enablement.stats(),
      breakers: app.breakers.states(),
      worker: app.deliveryWorker.stats(),
      deliveries,
      deadLetters,
    };
  });
}
