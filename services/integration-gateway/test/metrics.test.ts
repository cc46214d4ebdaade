// The gateway's /metrics: enablement cache hits, misses and invalidations, dispatches by outcome and
// breakers by state, read from the counters the gateway keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { promValue } from '../../../test/ops/prom-text.ts';
import { buildApp } from '../src/app.ts';
import { loadGatewayConfig } from '../src/config.ts';
import { dispatchBody } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  await sql`insert into enterprises (number, name, host_token) values ('400', 'E400', 'TOKEN-400')`;
  app = await buildApp({
    sql,
    config: loadGatewayConfig({ DATABASE_URL: db.url }),
    logger: false,
    cacheBackground: false,
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await sql.end();
  await db.drop();
});

describe('GET /metrics (integration-gateway)', () => {
  it('exposes cache counters, dispatch outcomes and breakers', async () => {
    await app.enablement.get('400');
    await app.enablement.get('400');
    app.enablement.invalidate('400');
    const ignored = await app.inject({
      method: 'POST',
      url: '/dispatch/call-event',
      payload: dispatchBody('400', 'c-1', 'dial', 'dial:1'),
    });
    expect(ignored.json()).toMatchObject({ status: 'ignored' });
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(promValue(text, 'fleet_gateway_cache_misses_total')).toBe(2);
    expect(promValue(text, 'fleet_gateway_cache_hits_total')).toBe(1);
    expect(promValue(text, 'fleet_gateway_cache_invalidations_total')).toBe(1);
    expect(promValue(text, 'fleet_gateway_dispatches_total', { outcome: 'ignored' })).toBe(1);
    expect(promValue(text, 'fleet_gateway_dispatches_total', { outcome: 'delivered' })).toBe(0);
    expect(promValue(text, 'fleet_gateway_dispatches_total', { outcome: 'rejected' })).toBe(0);
    expect(promValue(text, 'fleet_gateway_breakers', { state: 'open' })).toBe(0);
  });
});
