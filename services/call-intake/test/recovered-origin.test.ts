// Events re-ingested by the recovery job (call_events.origin = 'recovered', services/asterisk) flow
// through the same processor as live ones, and the call's deliveries to the gateway carry origin
// 'recovered'; a live call's stay 'live'.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Sql, TestDatabase } from '@fleet/db';
import { eventIdempotencyKey, type HostEventType } from '@fleet/asterisk-events';
import { addEnterprise, intake, scenario, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;
beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '100', 'TOKEN-100');
  app = await intake(sql);
});
afterAll(async () => {
  await app.close();
  await sql.end();
  await db.drop();
});

async function store(uid: string, origin: 'live' | 'recovered') {
  for (const e of scenario('2-1')) {
    const body = JSON.parse(
      JSON.stringify(e.body)
        .replaceAll('ENTERPRISE_TOKEN', 'TOKEN-100')
        .replaceAll('1757772742', uid)
        .replaceAll('2be3a503', uid.slice(-8)),
    );
    await sql`insert into call_events (enterprise, event_type, unique_id, idempotency_key, body, origin)
              values ('100', ${e.event}, ${String(body.UniqueId)}, ${eventIdempotencyKey(e.event as HostEventType, body)}, ${sql.json(body)}, ${origin})`;
  }
}

it('deliveries of a recovered call carry origin recovered, of a live call live', async () => {
  await store('1757000001', 'recovered');
  await store('1757000002', 'live');
  await app.processor.sweep();
  const rows = await sql<{ call_id: string; event_type: string; origin: string }[]>`
    select call_id, event_type, payload->>'origin' as origin from intake_outbox order by id`;
  expect(rows.filter((r) => r.call_id.startsWith('1757000001')).map((r) => [r.event_type, r.origin])).toEqual([
    ['dial', 'recovered'],
    ['hangup', 'recovered'],
  ]);
  expect(rows.filter((r) => r.call_id.startsWith('1757000002')).map((r) => [r.event_type, r.origin])).toEqual([
    ['dial', 'live'],
    ['hangup', 'live'],
  ]);
});
