// Prometheus metrics for every fleet service (issue 8): one registry per app (tests build many apps in
// one process), the process's default metrics once per process, HTTP latency per route, and helpers
// for the owning plugins. Numbers the services already keep in stats objects are read on scrape
// (counterFrom/gaugeFrom) rather than by edits deep inside hot code.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { openapiPlugin, type OpenApiOptions } from './openapi.ts';

export type Labels = Record<string, string>;
/** What a scrape-time reader returns: one value, or one per label set. */
export type Reading = number | Iterable<readonly [Labels, number]>;

/** `app.metrics`: the app's registry and get-or-create helpers (names must be unique per app). */
export interface Metrics {
  readonly registry: Registry;
  counter(name: string, help: string, labelNames?: string[]): Counter;
  gauge(name: string, help: string, labelNames?: string[]): Gauge;
  /** Buckets in seconds (default: 5 ms … 10 s). */
  histogram(name: string, help: string, labelNames?: string[], buckets?: number[]): Histogram;
  /** A counter whose value is read on scrape from a monotonic stats field (reset on restart like any counter). */
  counterFrom(name: string, help: string, labelNames: string[], read: () => Reading | Promise<Reading>): void;
  /** A gauge read on scrape (e.g. one cheap query). A failing read shows NaN (labelled series are dropped) and counts fleet_metrics_collect_errors_total. */
  gaugeFrom(name: string, help: string, labelNames: string[], read: () => Reading | Promise<Reading>): void;
  /** The exposition text (process metrics + this app's), as GET /metrics answers it. */
  text(): Promise<string>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export interface MetricsOptions {
  /** Service name, the `service` label of every series of this app. */
  service: string;
}

/** Latency buckets (s) for HTTP and CRM requests: the hosts' limit is 3 s, RetailCRM's timeout 3 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;
/** Default process metrics (CPU, RSS, event-loop lag, GC) exist once per process, not per app. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

function apply(metric: Counter | Gauge, value: Reading, asCounter: boolean): void {
  metric.reset();
  const rows: Iterable<readonly [Labels, number]> = typeof value === 'number' ? [[{}, value]] : value;
  for (const [labels, v] of rows) {
    if (!Number.isFinite(v)) continue;
    if (asCounter) (metric as Counter).inc(labels, Math.max(0, v));
    else (metric as Gauge).set(labels, v);
  }
}

/** Builds the Metrics helpers around a fresh registry (exported for tests of collectors). */
export function createMetrics(
  service: string,
  onCollectError: (name: string, err: unknown) => void = () => {},
): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // Serialised after the app's registry, so a reading that fails during this scrape is counted in it.
  const errorsRegistry = new Registry();
  errorsRegistry.setDefaultLabels({ service });
  const collectErrors = new Counter({
    name: 'fleet_metrics_collect_errors_total',
    help: 'Scrape-time readings that failed (their series show NaN or are missing in that scrape)',
    labelNames: ['metric'],
    registers: [errorsRegistry],
  });
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const reader = (
    name: string,
    labelNames: string[],
    metric: () => Counter | Gauge,
    read: () => Reading | Promise<Reading>,
    asCounter: boolean,
  ) =>
    async function collect() {
      try {
        apply(metric(), await read(), asCounter);
      } catch (err) {
        // A gauge shows NaN (unknown) rather than a stale or zero value; a counter keeps its last value.
        if (!asCounter) {
          metric().reset();
          if (labelNames.length === 0) (metric() as Gauge).set(NaN);
        }
        collectErrors.inc({ metric: name });
        onCollectError(name, err);
      }
    };
  return {
    registry,
    counter: (name, help, labelNames = []) =>
      existing<Counter>(name) ?? new Counter({ name, help, labelNames, registers: [registry] }),
    gauge: (name, help, labelNames = []) =>
      existing<Gauge>(name) ?? new Gauge({ name, help, labelNames, registers: [registry] }),
    histogram: (name, help, labelNames = [], buckets = LATENCY_BUCKETS) =>
      existing<Histogram>(name) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] }),
    counterFrom(name, help, labelNames, read) {
      const c: Counter = new Counter({
        name,
        help,
        labelNames,
        registers: [registry],
        collect: reader(name, labelNames, () => c, read, true),
      });
    },
    gaugeFrom(name, help, labelNames, read) {
      const g: Gauge = new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect: reader(name, labelNames, () => g, read, false),
      });
    },
    async text() {
      return (await processMetrics().metrics()) + (await registry.metrics()) + (await errorsRegistry.metrics());
    },
  };
}

/**
 * Decorates `app.metrics`, times every request (fleet_http_request_duration_seconds by method, route
 * pattern and status) and serves `GET /metrics` (Prometheus text 0.0.4). Register it first in
 * buildApp so the hook sees every route. /metrics is internal: nginx/ does not route it.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, opts: MetricsOptions) => {
    const metrics = createMetrics(opts.service, (metric, err) =>
      app.log.warn({ metric, err }, 'metric reading failed'),
    );
    app.decorate('metrics', metrics);
    const http = metrics.histogram('fleet_http_request_duration_seconds', 'HTTP requests answered, by route pattern', [
      'method',
      'route',
      'status_code',
    ]);
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      http.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    app.get(
      '/metrics',
      { schema: { summary: 'Prometheus metrics (internal: not routed by nginx)', tags: ['ops'] } },
      async (_req, reply) => {
        reply.type(metrics.registry.contentType);
        return metrics.text();
      },
    );
  },
  { name: 'fleet-metrics', fastify: '5.x' },
);

/**
 * Wraps a scrape-time query so that the several series it feeds cost one round trip per scrape: a
 * call within `maxAgeMs` of the last (or while it is in flight) gets the same promise.
 */
export function sharedReading<T>(fn: () => Promise<T>, maxAgeMs = 1000): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > maxAgeMs) {
      last = { at: now, value: fn() };
      last.value.catch(() => (last = undefined));
    }
    return last.value;
  };
}
