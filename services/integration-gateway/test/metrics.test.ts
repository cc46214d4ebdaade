// The gateway's /metrics: enablement cache hits, misses and invalidations, deliveries by outcome,
// breakers by state and the pending-delivery lag, read from the stats the gateway keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { promValue } from '../../../test/ops/prom-text.ts';
import { buildApp } from '../src/app.ts';
import { loadGatewayConfig } from '../src/config.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  await sql`insert into enterprises (number, name, host_token) values ('400', 'E400', 'TOKEN-400')`;
  app = await buildApp({ sql, config: loadGatewayConfig({ DATABASE_URL: db.url }), logger: false, worker: false, cacheBackground: false });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await sql.end();
  await db.drop();
});

describe('GET /metrics (integration-gateway)', () => {
  it('exposes cache counters, delivery outcomes, breakers and the delivery lag', async () => {
    await app.enablement.get('400');
    await app.enablement.get('400');
    app.enablement.invalidate('400');
    await sql`
      insert into gateway_deliveries (enterprise, integration, call_id, event_type, dedup_key, payload, created_at)
      values ('400', 'retailcrm', 'c-1', 'dial', 'dial:1', '{}', now() - interval '30 seconds')`;
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(promValue(text, 'fleet_gateway_cache_misses_total')).toBe(1);
    expect(promValue(text, 'fleet_gateway_cache_hits_total')).toBe(1);
    expect(promValue(text, 'fleet_gateway_cache_invalidations_total')).toBe(1);
    expect(promValue(text, 'fleet_gateway_deliveries_total', { outcome: 'delivered' })).toBe(0);
    expect(promValue(text, 'fleet_gateway_deliveries_total', { outcome: 'dead' })).toBe(0);
    expect(promValue(text, 'fleet_gateway_breakers', { state: 'open' })).toBe(0);
    expect(promValue(text, 'fleet_gateway_deliveries_pending')).toBe(1);
    expect(promValue(text, 'fleet_gateway_delivery_lag_seconds')).toBeGreaterThanOrEqual(30);
  });
});
