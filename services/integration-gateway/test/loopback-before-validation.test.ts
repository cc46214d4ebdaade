// Regression (security suite, issue 7 §4): the loopback guard of /dispatch/call-event and
// /cache/invalidate ran as a preHandler, after body and params validation, so a stranger with a
// malformed request got a 400 naming the contract's fields instead of a 403. It now runs on request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { dispatchBody, seedEnterprise, startApp, startFakeCrm, type FakeCrm } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let crm: FakeCrm;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  crm = await startFakeCrm();
  await seedEnterprise(sql, '100');
  app = await startApp(sql, db.url, crm.url);
});
afterAll(async () => {
  await app?.close();
  await crm?.close();
  await sql?.end();
  await db?.drop();
});

describe('a non-loopback caller gets 403 before any validation', () => {
  it.each([
    ['a malformed dispatch', 'POST', '/dispatch/call-event', { nothing: true }],
    ['a body that is not JSON', 'POST', '/dispatch/call-event', '{'],
    ['a valid dispatch', 'POST', '/dispatch/call-event', dispatchBody('100', 'c-1', 'dial', 'ringing:1')],
    ['a malformed cache invalidation', 'POST', '/cache/invalidate/not-a-number', undefined],
  ])('%s → 403 GW_FORBIDDEN_ORIGIN', async (_name, method, url, payload) => {
    const res = await app.inject({
      method: method as 'POST',
      url,
      remoteAddress: '10.1.2.3',
      ...(payload === undefined
        ? {}
        : {
            payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
            headers: { 'content-type': 'application/json' },
          }),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('GW_FORBIDDEN_ORIGIN');
    expect(crm.received).toEqual([]);
  });
});
