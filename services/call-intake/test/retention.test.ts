// Retention is wired into call-intake: on its schedule it removes processed events, delivered or dead
// side effects and finished Telegram cards past their retention, and never touches unfinished work of
// any age (an unprocessed event, a pending side effect or card) nor the call model's state (its
// snapshot and the events applied after it), even with the clock a year ahead.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Sql, TestDatabase } from '@fleet/db';
import { z } from '@fleet/config';
import { createRetentionJob } from '@fleet/retention';
import { retentionShape } from '../src/config.ts';
import { intakeRetentionRules } from '../src/plugins/retention.ts';
import { addEnterprise, intake, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;
const ago = (days: number) => sql`now() - ${days} * interval '1 day'`;

const event = (key: string, daysAgo: number, processed: boolean, batch: number | null = null) => sql`
  insert into call_events (enterprise, event_type, unique_id, idempotency_key, body, received_at, processed_at, processed_batch)
  values ('100', 'dial', '1757772742.1', ${key}, '{}', ${ago(daysAgo)}, ${processed ? ago(daysAgo) : null}, ${batch})`;
const effect = (callId: string, status: string, daysAgo: number) => sql`
  insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload, status, created_at)
  values ('100', ${callId}, 'hangup', 'hangup', '{}', ${status}, ${ago(daysAgo)})`;
const card = (callId: string, status: string, createdDaysAgo: number, updatedDaysAgo: number) => sql`
  insert into telegram_cards (enterprise, call_id, chat_id, stage, call, status, created_at, updated_at)
  values ('100', ${callId}, 42, 'final', '{}', ${status}, ${ago(createdDaysAgo)}, ${ago(updatedDaysAgo)})`;
const column = async (query: Promise<Record<string, unknown>[]>) => (await query).map((r) => Object.values(r)[0]);

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '100', 'token-100');
  await event('processed-old', 31, true);
  await event('unprocessed-ancient', 400, false);
  await event('processed-young', 29, true);
  // The model's snapshot was taken after batch 3: events of later batches are part of its state.
  await event('in-snapshot-old', 31, true, 3);
  await event('after-snapshot-ancient', 400, true, 4);
  await effect('done-old', 'done', 8);
  await effect('dead-old', 'dead', 10);
  await effect('pending-ancient', 'pending', 400);
  await effect('done-young', 'done', 6);
  await card('done-old', 'done', 9, 8);
  await card('pending-ancient', 'pending', 400, 400);
  await card('done-touched', 'done', 30, 2);
  await sql`insert into call_model_state (enterprise, state, updated_at, version, snapshot_version)
            values ('100', '{}', ${ago(400)}, 4, 3)`;
  // A short interval so that the scheduled pass comes within the test (each wait is 150–450 ms).
  app = await intake(sql, { RETENTION_INTERVAL_MS: 300 });
});
afterAll(async () => {
  await app?.close();
  await sql.end();
  await db.drop();
});

it('removes finished rows past their retention on its schedule and leaves unfinished work of any age', async () => {
  await vi.waitFor(
    async () => expect((await sql`select 1 from call_events where idempotency_key = 'processed-old'`).length).toBe(0),
    { timeout: 10_000, interval: 100 },
  );
  await vi.waitFor(
    async () => expect((await sql`select 1 from telegram_cards where call_id = 'done-old'`).length).toBe(0),
    { timeout: 10_000, interval: 100 },
  );
  expect(await column(sql`select idempotency_key from call_events order by id`)).toEqual([
    'unprocessed-ancient',
    'processed-young',
    'after-snapshot-ancient',
  ]);
  expect(await column(sql`select call_id from intake_outbox order by id`)).toEqual(['pending-ancient', 'done-young']);
  expect(await column(sql`select call_id from telegram_cards order by id`)).toEqual([
    'pending-ancient',
    'done-touched',
  ]);
  expect(await column(sql`select enterprise from call_model_state`)).toEqual(['100']);
  // The service's rules with the clock a year ahead: every finished row is past its retention, and
  // still nothing unfinished goes.
  const rules = intakeRetentionRules(z.object(retentionShape).parse({}));
  await createRetentionJob({
    sql,
    name: 'call-intake-later',
    rules,
    intervalMs: 0,
    now: () => Date.now() + 365 * 86_400_000,
  }).runOnce();
  expect(await column(sql`select idempotency_key from call_events order by id`)).toEqual([
    'unprocessed-ancient',
    'after-snapshot-ancient',
  ]);
  expect(await column(sql`select call_id from intake_outbox`)).toEqual(['pending-ancient']);
  expect(await column(sql`select call_id from telegram_cards`)).toEqual(['pending-ancient']);
  expect(await column(sql`select enterprise from call_model_state`)).toEqual(['100']);
});
