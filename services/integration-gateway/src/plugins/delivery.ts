// Tier 2: the outbound side — forwarder (undici), breakers (opossum) and the delivery worker.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createBreakers, type Breakers } from './breakers.ts';
import { createDeliveryWorker, type DeliveryWorker } from './delivery-worker.ts';
import { createForwarder, type Forwarder } from './forwarder.ts';

declare module 'fastify' {
  interface FastifyInstance {
    forwarder: Forwarder;
    breakers: Breakers;
    deliveryWorker: DeliveryWorker;
  }
}

/** Pooled connections kept free of the delivery worker (dispatch inserts, cache reloads, /stats). */
export const POOL_RESERVE = 4;

/** Decorates forwarder, breakers and worker; the worker runs from onReady to onClose unless `worker` is false. */
export const deliveryPlugin = fp(
  async (app: FastifyInstance, opts: { worker?: boolean }) => {
    const c = app.config;
    // Each delivering call holds a pooled connection for its whole forward: never more calls than the
    // pool can hold while leaving room for dispatch requests and the cache (server.ts sizes the pool
    // WORKER_CONCURRENCY + 6; a caller passing a smaller pool gets fewer parallel calls, not a stall).
    const concurrency = Math.max(1, Math.min(c.WORKER_CONCURRENCY, (app.sql.options?.max ?? Infinity) - POOL_RESERVE));
    const forwarder = createForwarder({ services: { retailcrm: c.RETAILCRM_URL }, timeoutMs: c.FORWARD_TIMEOUT_MS, connections: concurrency });
    const breakers = createBreakers({
      forwarder,
      log: app.log.child({ component: 'breakers' }),
      resetTimeoutMs: c.BREAKER_RESET_MS,
      volumeThreshold: c.BREAKER_VOLUME,
    });
    const worker = createDeliveryWorker({
      sql: app.sql,
      log: app.log.child({ component: 'delivery-worker' }),
      forwarder,
      breakers,
      pollMs: c.WORKER_POLL_MS,
      concurrency,
      retries: c.FORWARD_RETRIES,
      retryMinMs: c.FORWARD_RETRY_MIN_MS,
      giveUpMs: c.GIVE_UP_MS,
      rescheduleMaxMs: c.RESCHEDULE_MAX_MS,
      isEnabled: async (enterprise, integration) => (await app.enablement.get(enterprise)).integrations[integration],
    });
    app.decorate('forwarder', forwarder);
    app.decorate('breakers', breakers);
    app.decorate('deliveryWorker', worker);
    if (opts.worker !== false && c.WORKER_ENABLED) app.addHook('onReady', async () => worker.start());
    // Drain in-flight deliveries before the pools close under them.
    app.addHook('onClose', async () => {
      await worker.stop();
      breakers.shutdown();
      await forwarder.close();
    });
  },
  { name: 'gateway-delivery', dependencies: ['gateway-core', 'enablement-cache'] },
);
