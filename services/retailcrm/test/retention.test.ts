// Retention is wired into the retailcrm service: on its schedule it removes answered journal rows past
// RETENTION_INTEGRATION_LOGS_DAYS but keeps what the admin page still shows (each enterprise's last
// success and last error, whatever their age) and attempts without an answer; done steps past
// RETENTION_CALL_STEPS_DAYS go, running ones stay; expired admin sessions go; missed-call tasks closed
// or lost past RETENTION_INTEGRATION_LOGS_DAYS go, open ones stay; mapping drift not reported for
// RETENTION_CALL_STEPS_DAYS goes.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';
import { lastOutcomes } from '../src/admin/journal-read.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;

const log = (enterprise: string, kind: string, ok: boolean, daysAgo: number, state = 'done') => sql`
  insert into integration_logs (enterprise, kind, ok, state, error, created_at)
  values (${enterprise}, ${kind}, ${ok}, ${state}, ${ok ? null : 'RCRM_UPSTREAM_UNAVAILABLE: 503'}, now() - ${daysAgo} * interval '1 day')`;
const step = (callId: string, status: string, daysAgo: number) => sql`
  insert into retailcrm_call_steps (enterprise, call_id, step, status, updated_at)
  values ('201', ${callId}, 'upload', ${status}, now() - ${daysAgo} * interval '1 day')`;
const kinds = async (enterprise: string) =>
  (await sql<{ kind: string }[]>`select kind from integration_logs where enterprise = ${enterprise} order by id`).map(
    (r) => r.kind,
  );

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  for (const e of ['201', '202'])
    await sql`insert into enterprises (number, name, host_token) values (${e}, ${'Shop ' + e}, ${'token-' + e})`;
  // 201 is busy: its last success is young, its last error is old.
  await log('201', 'old-ok-1', true, 100);
  await log('201', 'old-error', false, 95);
  await log('201', 'old-ok-2', true, 91);
  await log('201', 'old-unanswered', false, 300, 'sent');
  await log('201', 'young-ok', true, 89);
  // 202 went quiet 100 days ago: only old rows.
  await log('202', 'old-error-1', false, 120);
  await log('202', 'old-ok-1', true, 110);
  await log('202', 'last-error', false, 105);
  await log('202', 'last-ok', true, 100);
  await step('done-old', 'done', 8);
  await step('running-old', 'running', 30);
  await step('done-young', 'done', 6);
  for (const [phone, status, daysAgo] of [
    ['291000001', 'closed', 91],
    ['291000002', 'lost', 91],
    ['291000003', 'open', 200],
    ['291000004', 'closed', 10],
  ] as const)
    await sql`insert into retailcrm_missed_tasks (enterprise, phone_key, phone, status, created_by, task_id, updated_at)
      values ('201', ${phone}, ${phone}, ${status}, ${'call-' + phone}, 1, now() - ${daysAgo} * interval '1 day')`;
  for (const [value, daysAgo] of [
    ['153', 8],
    ['154', 1],
  ] as const)
    await sql`insert into retailcrm_mapping_drift (enterprise, kind, value, last_seen_at, last_call_id)
      values ('201', 'code', ${value}, now() - ${daysAgo} * interval '1 day', 'call-1')`;
  await sql`insert into retailcrm_admin_links (jti, enterprise, kind, issued_at, expires_at) values ('jti-0123456789abcdef', '201', 'operator', now(), now() + interval '1 day')`;
  await sql`insert into retailcrm_admin_sessions (id_hash, enterprise, jti, expires_at)
    values ('expired', '201', 'jti-0123456789abcdef', now() - interval '1 minute'), ('live', '201', 'jti-0123456789abcdef', now() + interval '1 hour')`;
  // A short interval so that the scheduled pass comes within the test (each wait is 150–450 ms).
  const config = loadRetailCrmConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    RETENTION_INTERVAL_MS: '300',
  });
  expect([config.RETENTION_INTEGRATION_LOGS_DAYS, config.RETENTION_CALL_STEPS_DAYS]).toEqual([90, 7]);
  app = await buildApp({ config, sql, logger: false });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await sql.end();
  await db.drop();
});

it('removes what is past its retention on its schedule; the admin page still shows the last success and error', async () => {
  const before = await lastOutcomes(sql, '202', []);
  await vi.waitFor(async () => expect(await kinds('202')).toEqual(['last-error', 'last-ok']), {
    timeout: 10_000,
    interval: 100,
  });
  await vi.waitFor(async () => expect(await kinds('201')).toEqual(['old-error', 'old-unanswered', 'young-ok']), {
    timeout: 10_000,
    interval: 100,
  });
  expect(await lastOutcomes(sql, '202', [])).toEqual(before);
  expect(
    (await sql<{ call_id: string }[]>`select call_id from retailcrm_call_steps order by call_id`).map((r) => r.call_id),
  ).toEqual(['done-young', 'running-old']);
  expect(
    (await sql<{ id_hash: string }[]>`select id_hash from retailcrm_admin_sessions`).map((r) => r.id_hash),
  ).toEqual(['live']);
  expect(
    (await sql<{ phone: string }[]>`select phone from retailcrm_missed_tasks order by phone`).map((r) => r.phone),
  ).toEqual(['291000003', '291000004']);
  expect(
    (await sql<{ value: string }[]>`select value from retailcrm_mapping_drift order by value`).map((r) => r.value),
  ).toEqual(['154']);
});
