// Tier 2: the outbound side. One undici Agent and ONE per-API-key rate limiter for the whole process,
// so that concurrent requests for one account never exceed RetailCRM's limits together.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Agent, type Dispatcher } from 'undici';
import {
  createRateLimiter,
  createRetailCrmClient,
  type CrmAttempt,
  type CrmExchange,
  type RateLimiter,
  type RetailCrmClient,
} from '@fleet/retailcrm-client';

export interface CrmFactory {
  /**
   * A client for one account; `onExchange` receives every attempt (key-free) for integration_logs, and
   * `onAttempt`, when given, is awaited before each attempt leaves (its journal entry).
   */
  clientFor(
    origin: string,
    apiKey: string,
    onExchange: (x: CrmExchange) => Promise<void>,
    onAttempt?: (a: CrmAttempt) => Promise<void>,
  ): RetailCrmClient;
}

declare module 'fastify' {
  interface FastifyInstance {
    rcrmClients: CrmFactory;
  }
}

export interface CrmPluginOptions {
  /** Tests pass their own; default: an Agent closed with the app. */
  dispatcher?: Dispatcher;
  limiter?: RateLimiter;
}

export const crmPlugin = fp(
  async (app: FastifyInstance, opts: CrmPluginOptions) => {
    const c = app.rcrmConfig;
    const owned = opts.dispatcher ? undefined : new Agent({ connections: 16, keepAliveTimeout: 10_000 });
    const dispatcher = opts.dispatcher ?? owned!;
    const limiter =
      opts.limiter ??
      createRateLimiter({ telephonyPerSecond: c.RETAILCRM_RATE_TELEPHONY, generalPerSecond: c.RETAILCRM_RATE_GENERAL });
    // Every attempt's latency, by API path and answer (status, or the error code when none came).
    const latency = app.metrics.histogram(
      'fleet_retailcrm_request_duration_seconds',
      'Requests to RetailCRM (each attempt), by API path and status',
      ['path', 'status'],
    );
    const timed = (onExchange: (x: CrmExchange) => Promise<void>) => (x: CrmExchange) => {
      latency.observe(
        { path: x.path, status: x.status ? String(x.status) : (x.error?.code ?? 'none') },
        x.latencyMs / 1000,
      );
      return onExchange(x);
    };
    app.decorate('rcrmClients', {
      clientFor: (origin, apiKey, onExchange, onAttempt) =>
        createRetailCrmClient({
          domain: origin,
          apiKey,
          timeoutMs: c.RETAILCRM_TIMEOUT_MS,
          dispatcher,
          limiter,
          retry: {
            retries: c.RETAILCRM_RETRIES,
            minTimeoutMs: c.RETAILCRM_RETRY_MIN_MS,
            maxRetryAfterMs: c.RETAILCRM_MAX_RETRY_AFTER_MS,
          },
          onExchange: timed(onExchange),
          onAttempt,
        }),
    } satisfies CrmFactory);
    app.addHook('onClose', async () => {
      await owned?.close();
    });
  },
  { name: 'retailcrm-crm', dependencies: ['retailcrm-core', 'fleet-metrics'] },
);
