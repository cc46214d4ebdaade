// call-intake's /metrics: host events counted by type and outcome (with the rejection code), group
// commit numbers from the event store, the outbox lag from the database, all in valid Prometheus text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Sql, TestDatabase } from '@fleet/db';
import { promValue as value } from '../../../test/ops/prom-text.ts';
import { addEnterprise, intake, scenario, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '300', 'TOKEN-300');
  app = await intake(sql);
});
afterAll(async () => {
  await app.close();
  await sql.end();
  await db.drop();
});

const scrape = async () => {
  const res = await app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
};

describe('GET /metrics (call-intake)', () => {
  it('counts host events by type and outcome, with the code of each rejection', async () => {
    const dial = { ...scenario('2-1').find((e) => e.event === 'dial')!.body, Token: 'TOKEN-300' };
    expect((await app.inject({ method: 'POST', url: '/dial', payload: dial })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/dial', payload: dial })).statusCode).toBe(200); // retransmission
    expect((await app.inject({ method: 'POST', url: '/dial', payload: { ...dial, Token: 'nobody' } })).statusCode).toBe(
      403,
    );
    expect((await app.inject({ method: 'POST', url: '/hangup', payload: 'not json' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/transfer', payload: dial })).statusCode).toBe(404);

    const text = await scrape();
    expect(value(text, 'fleet_intake_events_total', { type: 'dial', outcome: 'accepted' })).toBe(2);
    expect(
      value(text, 'fleet_intake_events_total', { type: 'dial', outcome: 'rejected', code: 'INTAKE_UNKNOWN_TOKEN' }),
    ).toBe(1);
    expect(
      value(text, 'fleet_intake_events_total', { type: 'hangup', outcome: 'rejected', code: 'INTAKE_MALFORMED_BODY' }),
    ).toBe(1);
    expect(
      value(text, 'fleet_intake_events_total', { type: 'unknown', outcome: 'rejected', code: 'INTAKE_UNKNOWN_EVENT' }),
    ).toBe(1);
    expect(value(text, 'fleet_intake_commit_events_total')).toBe(2);
    expect(value(text, 'fleet_intake_commit_duplicates_total')).toBe(1);
    expect(value(text, 'fleet_intake_commit_batches_total')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'fleet_intake_events_unprocessed')).toBe(1); // workers are off in this test
    expect(value(text, 'fleet_telegram_429_total')).toBe(0);
  });

  it('reports the age of the oldest undelivered outbox row as the outbox lag', async () => {
    expect(value(await scrape(), 'fleet_intake_outbox_lag_seconds')).toBe(0);
    await sql`
      insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload, created_at)
      values ('300', 'c-lag', 'dial', 'dial:1', '{}', now() - interval '90 seconds')`;
    await new Promise((r) => setTimeout(r, 1100)); // past the one-scrape memo of the query
    const text = await scrape();
    expect(value(text, 'fleet_intake_outbox_pending')).toBe(1);
    expect(value(text, 'fleet_intake_outbox_lag_seconds')).toBeGreaterThanOrEqual(90);
  });

  it('answers in the Prometheus text format throughout', async () => {
    const text = await scrape();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (-?[0-9.e+-]+|NaN|Nan|\+Inf|-Inf)$/);
    }
  });
});
