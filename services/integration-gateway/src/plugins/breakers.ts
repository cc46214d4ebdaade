// One opossum circuit breaker per (enterprise, integration): one tenant's broken CRM account must not
// slow down everybody's deliveries; while a breaker is open its dispatches are answered 503 unsent.
import CircuitBreaker from 'opossum';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Integration } from '../domain/enablement.ts';
import type { CallEventBody } from '@fleet/call-event';
import type { Forwarder } from './forwarder.ts';

export interface BreakersOptions {
  forwarder: Forwarder;
  log: Logger;
  resetTimeoutMs: number;
  volumeThreshold: number;
}

type Action = (integration: Integration, body: CallEventBody) => Promise<{ status: number; response: string }>;

/** Breakers keyed `enterprise/integration`, created on first use. */
export type Breakers = ReturnType<typeof createBreakers>;

/** Creates the breaker registry around `forwarder.send`. */
export function createBreakers(o: BreakersOptions) {
  const breakers = new Map<
    string,
    {
      enterprise: string;
      integration: Integration;
      breaker: CircuitBreaker<Parameters<Action>, Awaited<ReturnType<Action>>>;
    }
  >();

  function of(enterprise: string, integration: Integration) {
    const key = `${enterprise}/${integration}`;
    let b = breakers.get(key);
    if (!b) {
      const breaker = new CircuitBreaker<Parameters<Action>, Awaited<ReturnType<Action>>>(o.forwarder.send, {
        name: key,
        timeout: false, // undici's own timeouts bound each request
        resetTimeout: o.resetTimeoutMs,
        volumeThreshold: o.volumeThreshold,
        errorThresholdPercentage: 50,
        rollingCountTimeout: 30_000,
        // A permanent refusal says the request is wrong, not that the service is unwell.
        errorFilter: (err: { code?: string }) => err?.code === 'GW_UPSTREAM_PERMANENT',
      });
      breaker.on('open', () => o.log.warn({ enterprise, integration }, 'circuit breaker opened'));
      breaker.on('close', () => o.log.info({ enterprise, integration }, 'circuit breaker closed'));
      b = { enterprise, integration, breaker };
      breakers.set(key, b);
    }
    return b.breaker;
  }

  return {
    of,
    /** State per (enterprise, integration) for /stats and /health. */
    states() {
      return [...breakers.values()].map(({ enterprise, integration, breaker }) => ({
        enterprise,
        integration,
        state: breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed',
        failures: breaker.stats.failures,
        successes: breaker.stats.successes,
        rejects: breaker.stats.rejects,
      }));
    },
    /** Stops every breaker's timers. */
    shutdown(): void {
      for (const { breaker } of breakers.values()) breaker.shutdown();
      breakers.clear();
    },
  };
}
