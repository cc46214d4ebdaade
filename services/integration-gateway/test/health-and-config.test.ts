// De-risks operations: /health and dispatch say 503 (so call-intake retries) when the database is
// unreachable, and a bad variable stops the service at boot naming the variable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, type Sql } from '@fleet/db';
import { loadGatewayConfig } from '../src/config.ts';
import { dispatchBody, startApp } from './helpers.ts';

describe('database down', () => {
  const deadUrl = 'postgres://fleet:x@127.0.0.1:1/nowhere'; // nothing listens on port 1
  let sql: Sql;
  let app: FastifyInstance;
  beforeAll(async () => {
    sql = createSql(deadUrl, { max: 2 });
    app = await startApp(sql, deadUrl, 'http://127.0.0.1:9', { cacheBackground: false });
  });
  afterAll(async () => {
    await app?.close();
    await sql?.end({ timeout: 0 });
  });

  it('GET /health answers 503', async () => {
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable', db: false });
  });

  it('POST /dispatch/call-event answers 503 GW_DB_UNAVAILABLE, never 200', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/dispatch/call-event',
      payload: dispatchBody('100', 'c-1', 'dial', 'ringing:1'),
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('GW_DB_UNAVAILABLE');
  });
});

describe('config', () => {
  it('applies the documented defaults', () => {
    const c = loadGatewayConfig({ DATABASE_URL: 'postgres://x@h/db' });
    expect(c).toMatchObject({
      GATEWAY_PORT: 8020,
      GATEWAY_HOST: '127.0.0.1',
      RETAILCRM_URL: 'http://127.0.0.1:8019',
      CACHE_TTL_MS: 90_000,
      CACHE_REFRESH_MS: 240_000,
      CACHE_REFRESH_JITTER_MS: 60_000,
      FORWARD_TIMEOUT_MS: 30_000,
      FORWARD_CONNECTIONS: 64,
    });
  });

  it('names the bad variable', () => {
    expect(() => loadGatewayConfig({ DATABASE_URL: 'postgres://x@h/db', FORWARD_TIMEOUT_MS: 'soon' })).toThrow(
      expect.objectContaining({ code: 'FLEET_CONFIG_INVALID', variable: 'FORWARD_TIMEOUT_MS' }),
    );
    expect(() => loadGatewayConfig({})).toThrow(expect.objectContaining({ variable: 'DATABASE_URL' }));
  });
});
