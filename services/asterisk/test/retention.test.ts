// Retention is wired into the asterisk service: on its schedule it removes finished originate records
// and recovery runs past their retention, leaves young ones and unfinished ones (in flight, or left
// by a crash) of any age, and counts what it removed in /metrics.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { buildApp, loadAsteriskConfig } from '../src/index.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  await sql`insert into enterprises (number, name, host_token) values ('367', 'E367', 'host-token-367')`;
  const originate = (id: string, status: string, daysAgo: number) => sql`
    insert into originates (correlation_id, enterprise, extension, phone, requested_by, status, created_at)
    values (${id}, '367', '151', '375440000001', 'api', ${status}, now() - ${daysAgo} * interval '1 day')`;
  await originate('old-confirmed', 'confirmed', 40);
  await originate('old-failed', 'failed', 31);
  await originate('stuck-accepted', 'accepted', 400);
  await originate('young-failed', 'failed', 29);
  const run = (status: string, daysAgo: number) => sql`
    insert into recovery_runs (enterprise, host, trigger, status, started_at)
    values ('367', 'pbx@10.0.0.1:22', 'schedule', ${status}, now() - ${daysAgo} * interval '1 day')`;
  await run('ok', 100);
  await run('running', 400);
  await run('partial', 80);
  // A short interval so that the scheduled pass comes within the test (each wait is 150–450 ms).
  const config = loadAsteriskConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', RETENTION_INTERVAL_MS: '300' });
  expect([config.RETENTION_ORIGINATES_DAYS, config.RETENTION_RECOVERY_RUNS_DAYS]).toEqual([30, 90]);
  app = await buildApp({ config, sql, logger: false });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await sql.end();
  await db.drop();
});

it('removes finished rows past their retention on its schedule and keeps the rest', async () => {
  await vi.waitFor(
    async () => expect((await sql`select 1 from originates where correlation_id = 'old-confirmed'`).length).toBe(0),
    { timeout: 10_000, interval: 100 },
  );
  await vi.waitFor(async () => expect((await sql`select 1 from recovery_runs where status = 'ok'`).length).toBe(0), {
    timeout: 10_000,
    interval: 100,
  });
  expect(
    (await sql<{ correlation_id: string }[]>`select correlation_id from originates order by id`).map(
      (r) => r.correlation_id,
    ),
  ).toEqual(['stuck-accepted', 'young-failed']);
  expect((await sql<{ status: string }[]>`select status from recovery_runs order by id`).map((r) => r.status)).toEqual([
    'running',
    'partial',
  ]);
  const metrics = (await app.inject('/metrics')).body;
  expect(metrics).toMatch(/fleet_retention_deleted_rows_total\{table="originates",service="asterisk"\} 2\n/);
  expect(metrics).toMatch(/fleet_retention_deleted_rows_total\{table="recovery_runs",service="asterisk"\} 1\n/);
});
