// Regression: one event the database refuses failed every event of its group-commit batch (all those
// hosts got 503). Now the batch is retried row by row and only the refused event fails.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import { createEventStore } from '../src/plugins/event-store.ts';
import { addEnterprise, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '310', 'TOKEN-310');
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

it('a refused row fails alone; the rest of its batch is stored in order', async () => {
  const store = createEventStore(sql, { windowMs: 20, maxBatch: 100 });
  const ev = (enterprise: string, n: number) => ({
    enterprise,
    type: 'dial' as const,
    uniqueId: `iso.${n}`,
    idempotencyKey: `iso-key-${n}`,
    body: { UniqueId: `iso.${n}` },
    receivedAt: Date.now(),
  });
  // Enterprise 999 does not exist: the foreign key refuses that row.
  const results = await Promise.allSettled([
    store.append(ev('310', 1)),
    store.append(ev('999', 2)),
    store.append(ev('310', 3)),
  ]);
  await store.close();
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const rows = await sql`select unique_id from call_events where unique_id like 'iso.%' order by id`;
  expect(rows.map((r) => r.unique_id)).toEqual(['iso.1', 'iso.3']);
});
