// The link exchange is rate limited per client (ADMIN_AUTH_RATE_PER_MINUTE): the N+1st exchange in a
// minute is a 429, keyed on nginx's X-Real-IP only when the peer is loopback (anyone else could send
// the header to get a fresh bucket). Regression: GET and POST were two routes with a bucket each, so a
// client had twice the limit. And PUBLIC_BASE_URL, which registration sends to RetailCRM, is
// required outside tests and development, like JWT_SECRET.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRetailCrmConfig } from '../src/index.ts';
import { createAdminWorld, operatorLink } from './admin-helpers.ts';
import { ENTERPRISE, type World } from './fixtures.ts';

let w: World;
beforeAll(async () => {
  w = await createAdminWorld({}, { ADMIN_AUTH_RATE_PER_MINUTE: '3' });
});
afterAll(() => w.close());

const exchange = async (
  headers: Record<string, string> = {},
  remoteAddress = '127.0.0.1',
  method: 'GET' | 'POST' = 'GET',
) => {
  const { token } = await operatorLink(w.sql, w.app, ENTERPRISE);
  return method === 'GET'
    ? w.app.inject({ method, url: `/retailcrm-admin/auth?token=${token}`, headers, remoteAddress })
    : w.app.inject({
        method,
        url: '/retailcrm-admin/auth',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${token}`,
        remoteAddress,
      });
};

describe('auth rate limit', () => {
  it('the 4th exchange in a minute from one client is a 429, GET and POST alike, and opens no session', async () => {
    const ip = { 'x-real-ip': '203.0.113.7' };
    expect((await exchange(ip)).statusCode).toBe(303);
    expect((await exchange(ip, '127.0.0.1', 'POST')).statusCode).toBe(303);
    expect((await exchange(ip)).statusCode).toBe(303);
    const sessions = (await w.sql`select count(*)::int as n from retailcrm_admin_sessions`)[0]!.n;
    const limited = await exchange(ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.cookies.find((c) => c.name === 'rcrm_admin')).toBeUndefined();
    expect((await exchange(ip, '127.0.0.1', 'POST')).statusCode).toBe(429);
    expect((await w.sql`select count(*)::int as n from retailcrm_admin_sessions`)[0]!.n).toBe(sessions);
  });

  it('behind nginx (loopback peer) each X-Real-IP has its own bucket', async () => {
    expect((await exchange({ 'x-real-ip': '203.0.113.8' })).statusCode).toBe(303);
  });

  it('a non-loopback peer cannot pick a bucket with X-Real-IP', async () => {
    for (let i = 0; i < 3; i++)
      expect((await exchange({ 'x-real-ip': `198.51.100.${i}` }, '192.0.2.10')).statusCode).toBe(303);
    expect((await exchange({ 'x-real-ip': '198.51.100.99' }, '192.0.2.10')).statusCode).toBe(429);
  });
});

describe('PUBLIC_BASE_URL', () => {
  const production = {
    DATABASE_URL: 'postgres://x@localhost/x',
    JWT_SECRET: 'j'.repeat(32),
    SECRETS_KEY: '0'.repeat(64),
  };

  it('is required in production, with the variable named', () => {
    expect(() => loadRetailCrmConfig(production)).toThrow(
      expect.objectContaining({ code: 'FLEET_CONFIG_INVALID', variable: 'PUBLIC_BASE_URL' }),
    );
    expect(loadRetailCrmConfig({ ...production, PUBLIC_BASE_URL: 'https://pbx.example.com/' }).PUBLIC_BASE_URL).toBe(
      'https://pbx.example.com',
    );
  });

  it('defaults to the local port in tests and development only', () => {
    expect(loadRetailCrmConfig({ ...production, NODE_ENV: 'test', RETAILCRM_PORT: '8123' }).PUBLIC_BASE_URL).toBe(
      'http://127.0.0.1:8123',
    );
    expect(loadRetailCrmConfig({ ...production, FLEET_DEV: '1' }).PUBLIC_BASE_URL).toBe('http://127.0.0.1:8019');
  });
});
