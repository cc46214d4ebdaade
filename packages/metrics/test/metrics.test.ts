// The shared /metrics plugin: Prometheus text with the app's series and the process's, request
// latency by route pattern, values read on scrape from stats objects, and a failing reading that
// drops its series and is counted instead of failing the whole scrape.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { metricsPlugin, sharedReading } from '../src/index.ts';

async function appWith(setup: (app: Awaited<ReturnType<typeof build>>) => void) {
  const app = await build();
  setup(app);
  app.get('/things/:id', async () => ({ ok: true }));
  await app.ready();
  return app;
}
async function build() {
  const app = Fastify();
  await app.register(metricsPlugin, { service: 'demo' });
  return app;
}
const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

describe('metricsPlugin', () => {
  it('serves Prometheus text with process metrics, the service label and latency per route pattern', async () => {
    const app = await appWith(() => {});
    await app.inject({ url: '/things/1' });
    await app.inject({ url: '/things/2' });
    await app.inject({ url: '/nowhere' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('process_resident_memory_bytes');
    expect(
      line(
        res.body,
        'fleet_http_request_duration_seconds_count{service="demo",method="GET",route="/things/:id",status_code="200"}',
      ),
    ).toMatch(/ 2$/);
    expect(
      line(
        res.body,
        'fleet_http_request_duration_seconds_count{service="demo",method="GET",route="unmatched",status_code="404"}',
      ),
    ).toMatch(/ 1$/);
    await app.close();
  });

  it('reads counters and gauges from stats objects at scrape time', async () => {
    const stats = { sent: 3, byKind: { a: 1, b: 5 }, depth: 7 };
    const app = await appWith((a) => {
      a.metrics.counterFrom('demo_sent_total', 'sent', [], () => stats.sent);
      a.metrics.counterFrom('demo_kind_total', 'by kind', ['kind'], () =>
        Object.entries(stats.byKind).map(([kind, n]) => [{ kind }, n] as const),
      );
      a.metrics.gaugeFrom('demo_depth', 'depth', [], async () => stats.depth);
    });
    let text = (await app.inject({ url: '/metrics' })).body;
    expect(line(text, 'demo_sent_total')).toBe('demo_sent_total{service="demo"} 3');
    expect(text.split('\n').find((l) => l.startsWith('demo_kind_total') && l.includes('kind="b"'))).toMatch(/ 5$/);
    stats.sent = 10;
    stats.depth = 0;
    text = (await app.inject({ url: '/metrics' })).body;
    expect(line(text, 'demo_sent_total')).toBe('demo_sent_total{service="demo"} 10');
    expect(line(text, 'demo_depth')).toBe('demo_depth{service="demo"} 0');
    await app.close();
  });

  it('shows NaN, not a stale or zero value, when a reading fails, and counts the failure without failing the scrape', async () => {
    let broken = true;
    const app = await appWith((a) => {
      a.metrics.gaugeFrom('demo_lag_seconds', 'lag', [], async () => {
        if (broken) throw new Error('database down');
        return 4;
      });
    });
    let res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    // prom-client writes "Nan"; Prometheus parses NaN case-insensitively.
    expect(line(res.body, 'demo_lag_seconds{')).toMatch(/^demo_lag_seconds\{service="demo"\} NaN$/i);
    expect(
      res.body
        .split('\n')
        .find((l) => l.startsWith('fleet_metrics_collect_errors_total{') && l.includes('metric="demo_lag_seconds"')),
    ).toMatch(/ 1$/);
    broken = false;
    res = await app.inject({ url: '/metrics' });
    expect(line(res.body, 'demo_lag_seconds{')).toBe('demo_lag_seconds{service="demo"} 4');
    await app.close();
  });

  it("keeps each app's series apart (tests and the bench build several apps in one process)", async () => {
    const one = await appWith((a) => a.metrics.counter('demo_clicks_total', 'clicks').inc(2));
    const two = await appWith((a) => a.metrics.counter('demo_clicks_total', 'clicks'));
    expect(line((await one.inject({ url: '/metrics' })).body, 'demo_clicks_total')).toMatch(/ 2$/);
    expect(line((await two.inject({ url: '/metrics' })).body, 'demo_clicks_total')).toMatch(/ 0$/);
    await Promise.all([one.close(), two.close()]);
  });
});

describe('sharedReading', () => {
  it('runs one query for the several series it feeds within a scrape, and again after a failure', async () => {
    let calls = 0;
    const read = sharedReading(async () => {
      calls++;
      if (calls === 2) throw new Error('transient');
      return calls;
    }, 60_000);
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    expect(calls).toBe(1);
    const memoFailing = sharedReading(async () => {
      calls++;
      throw new Error('down');
    }, 60_000);
    await expect(memoFailing()).rejects.toThrow('down');
    await expect(memoFailing()).rejects.toThrow('down');
    expect(calls).toBe(3);
  });
});
