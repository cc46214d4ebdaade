// The gateway's series for /metrics (issue 8), read on scrape from the counters the dispatch route,
// breakers and enablement cache already keep. The backlog lives in call-intake's outbox (its metrics).
import type { FastifyInstance } from 'fastify';

const BREAKER_STATES = ['closed', 'halfOpen', 'open'] as const;

/** Registers the gateway's metrics on `app.metrics` (readers only: no hooks). */
export function registerGatewayMetrics(app: FastifyInstance): void {
  const m = app.metrics;
  m.counterFrom(
    'fleet_gateway_dispatches_total',
    'Dispatches by outcome (delivered, ignored: no integration on, unavailable: retry later, rejected: refused for good)',
    ['outcome'],
    () => Object.entries(app.dispatches).map(([outcome, n]) => [{ outcome }, n] as const),
  );
  m.gaugeFrom('fleet_gateway_breakers', 'Circuit breakers per (enterprise, integration), by state', ['state'], () => {
    const states = app.breakers.states();
    return BREAKER_STATES.map((state) => [{ state }, states.filter((b) => b.state === state).length] as const);
  });
  m.gaugeFrom(
    'fleet_gateway_breaker_open',
    'Breakers not closed (1 = open, 0.5 = half open), per enterprise and integration',
    ['enterprise', 'integration'],
    () =>
      app.breakers
        .states()
        .filter((b) => b.state !== 'closed')
        .map((b) => [{ enterprise: b.enterprise, integration: b.integration }, b.state === 'open' ? 1 : 0.5] as const),
  );

  const cache = () => app.enablement.stats();
  m.counterFrom(
    'fleet_gateway_cache_hits_total',
    'Enablement cache lookups answered from memory',
    [],
    () => cache().hits,
  );
  m.counterFrom(
    'fleet_gateway_cache_misses_total',
    'Enablement cache lookups that needed a load',
    [],
    () => cache().misses,
  );
  m.counterFrom(
    'fleet_gateway_cache_invalidations_total',
    'Enablement cache entries evicted (NOTIFY or POST /cache/invalidate)',
    [],
    () => cache().invalidations,
  );
  m.counterFrom(
    'fleet_gateway_cache_full_reloads_total',
    'Full reloads of the enablement cache (periodic, after a LISTEN reconnect)',
    [],
    () => cache().fullReloads,
  );
  m.gaugeFrom('fleet_gateway_cache_entries', 'Enterprises in the enablement cache', [], () => cache().size);
  m.gaugeFrom(
    'fleet_gateway_listen_up',
    'LISTEN connection for cache invalidation is listening (1) or not (0)',
    [],
    () => (cache().listen.state === 'listening' ? 1 : 0),
  );
}
