// De-risks a long upstream outage: the breaker opens and stops attempts (rows rescheduled, not sent),
// and a delivery older than GIVE_UP_MS goes dead with a dead letter instead of retrying forever.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { dispatchBody, seedEnterprise, startApp, startFakeCrm, waitFor, type FakeCrm } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let crm: FakeCrm;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 12 });
  crm = await startFakeCrm();
  crm.behave(() => 503);
  await seedEnterprise(sql, '100');
});

afterAll(async () => {
  await app?.close();
  await crm?.close();
  await sql?.end();
  await db?.drop();
});

const dispatch = (a: FastifyInstance, callId: string) =>
  a.inject({ method: 'POST', url: '/dispatch/call-event', payload: dispatchBody('100', callId, 'dial', 'ringing:1') });

it('opens the breaker of the enterprise+integration and then reschedules without attempting', async () => {
  app = await startApp(sql, db.url, crm.url, { env: { BREAKER_VOLUME: '3', BREAKER_RESET_MS: '60000' } });
  expect((await dispatch(app, 'br-1')).statusCode).toBe(200);
  await waitFor(async () => (await app!.inject('/stats')).json().breakers[0]?.state === 'open');
  const sent = crm.received.length;
  await new Promise((r) => setTimeout(r, 600)); // several polls and reschedules
  expect(crm.received.length).toBe(sent);
  const [row] = await sql`select status, last_error from gateway_deliveries where call_id = 'br-1'`;
  expect(row).toMatchObject({ status: 'pending', last_error: expect.stringContaining('circuit breaker open') });
  const health = (await app.inject('/health')).json();
  expect(health.openBreakers).toEqual([expect.objectContaining({ enterprise: '100', integration: 'retailcrm', state: 'open' })]);
  await app.close();
  app = undefined;
});

it('gives a delivery up after GIVE_UP_MS: dead, dead letter, visible in /stats', async () => {
  app = await startApp(sql, db.url, crm.url, { env: { GIVE_UP_MS: '400' } });
  expect((await dispatch(app, 'gu-1')).statusCode).toBe(200);
  await waitFor(async () => (await sql`select 1 from gateway_deliveries where call_id = 'gu-1' and status = 'dead'`).length === 1);
  const sentToGuOne = crm.received.filter((b) => b.callId === 'gu-1').length;
  expect(sentToGuOne).toBeGreaterThan(1); // retried while young
  const [log] = await sql`select kind, status_code, error from integration_logs where call_id = 'gu-1'`;
  expect(log).toMatchObject({ kind: 'dead_letter', status_code: 503, error: expect.stringContaining('HTTP 503') });
  const stats = (await app.inject('/stats')).json();
  expect(stats.deadLetters.map((d: { call_id: string }) => d.call_id)).toContain('gu-1');
  expect(stats.deliveries.dead).toBeGreaterThanOrEqual(1);
});
