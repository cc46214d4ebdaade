// The delivery worker holds a pooled connection for each call it is forwarding. Given a pool smaller
// than WORKER_CONCURRENCY, it must deliver fewer calls at once rather than take every connection and
// leave POST /dispatch/call-event waiting for a forward to end.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { POOL_RESERVE } from '../src/plugins/delivery.ts';
import { dispatchBody, seedEnterprise, startApp, startFakeCrm, waitFor, type FakeCrm } from './helpers.ts';

const POOL = 10;
let db: TestDatabase;
let sql: Sql;
let crm: FakeCrm;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: POOL });
  crm = await startFakeCrm();
  await seedEnterprise(sql, '100');
  // Forwards hang far longer than the test may take: a connection held by one is held to the end.
  app = await startApp(sql, db.url, crm.url, { env: { WORKER_CONCURRENCY: '64', FORWARD_TIMEOUT_MS: '60000' } });
});

afterAll(async () => {
  crm?.close(); // drops the hanging forwards so the worker can stop
  await app?.close();
  await sql?.end();
  await db?.drop();
});

it('with every delivering call stuck upstream, dispatch still commits at once', async () => {
  crm.behave(() => 'hang');
  const dispatch = (n: number) =>
    app.inject({ method: 'POST', url: '/dispatch/call-event', payload: dispatchBody('100', `call-${n}`, 'dial', 'dial:1') });
  for (let n = 0; n < 20; n++) expect((await dispatch(n)).statusCode).toBe(200);
  // The worker fills what the pool allows, not its configured 64.
  await waitFor(() => crm.received.length === POOL - POOL_RESERVE);
  expect(app.deliveryWorker.stats().inflightCalls).toBe(POOL - POOL_RESERVE);
  // Without the cap the worker would hold all 10 connections and this dispatch would wait 60 s.
  const late = await dispatch(99);
  expect(late.statusCode).toBe(200);
  expect(late.json()).toMatchObject({ status: 'accepted', duplicate: false });
  expect(crm.received.length).toBe(POOL - POOL_RESERVE);
});
