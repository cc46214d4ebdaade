// Tier 2: the outbound side — the forwarder (undici) behind one breaker per (enterprise, integration).
// The gateway keeps no queue: call-intake's outbox row is the one record of a side effect until an
// integration answered for it, and the gateway's answer to the dispatch is that integration's outcome.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createBreakers, type Breakers } from './breakers.ts';
import { createForwarder, type Forwarder } from './forwarder.ts';

declare module 'fastify' {
  interface FastifyInstance {
    forwarder: Forwarder;
    breakers: Breakers;
    /** Dispatch outcomes since start (for /stats and /metrics). */
    dispatches: DispatchCounters;
  }
}

/** Dispatches by outcome: delivered to every enabled integration, none enabled, retry later, refused. */
export interface DispatchCounters {
  delivered: number;
  ignored: number;
  unavailable: number;
  rejected: number;
}

/** Decorates `app.forwarder`, `app.breakers` and `app.dispatches`; closes the pools after in-flight forwards on close. */
export const forwardingPlugin = fp(
  async (app: FastifyInstance) => {
    const c = app.config;
    const forwarder = createForwarder({
      services: { retailcrm: c.RETAILCRM_URL },
      timeoutMs: c.FORWARD_TIMEOUT_MS,
      connections: c.FORWARD_CONNECTIONS,
    });
    const breakers = createBreakers({
      forwarder,
      log: app.log.child({ component: 'breakers' }),
      resetTimeoutMs: c.BREAKER_RESET_MS,
      volumeThreshold: c.BREAKER_VOLUME,
    });
    app.decorate('forwarder', forwarder);
    app.decorate('breakers', breakers);
    app.decorate('dispatches', { delivered: 0, ignored: 0, unavailable: 0, rejected: 0 } satisfies DispatchCounters);
    app.addHook('onClose', async () => {
      breakers.shutdown();
      await forwarder.close();
    });
  },
  { name: 'gateway-forwarding', dependencies: ['gateway-core'] },
);
