// The asterisk service's series for /metrics (issue 8), read on scrape from the SSH host pool's stats.
// Click-to-call outcomes are in fleet_http_request_duration_seconds{route="/api/makecallexternal"}.
import type { FastifyInstance } from 'fastify';

const STATES = ['closed', 'half-open', 'open'] as const;

/** Registers the host pool's breaker, connection and queue gauges on `app.metrics`. */
export function registerAsteriskMetrics(app: FastifyInstance): void {
  const m = app.metrics;
  const hosts = () => app.hosts.stats();
  m.gaugeFrom('fleet_asterisk_breakers', 'Per-host circuit breakers, by state', ['state'], () =>
    STATES.map((state) => [{ state }, hosts().filter((h) => h.breaker === state).length] as const),
  );
  m.gaugeFrom(
    'fleet_asterisk_breaker_open',
    'Hosts whose breaker is not closed (1 = open, 0.5 = half open)',
    ['host'],
    () =>
      hosts()
        .filter((h) => h.breaker !== 'closed')
        .map((h) => [{ host: h.host }, h.breaker === 'open' ? 1 : 0.5] as const),
  );
  m.gaugeFrom(
    'fleet_asterisk_hosts_connected',
    'Hosts with a live SSH connection',
    [],
    () => hosts().filter((h) => h.connected).length,
  );
  m.gaugeFrom('fleet_asterisk_commands_active', 'Commands running on hosts', [], () =>
    hosts().reduce((n, h) => n + h.active, 0),
  );
  m.gaugeFrom('fleet_asterisk_commands_queued', 'Commands waiting for a per-host slot', [], () =>
    hosts().reduce((n, h) => n + h.queued, 0),
  );
}
