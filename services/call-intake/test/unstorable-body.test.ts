// Regression (fuzz, issue 7 §3): a host body PostgreSQL cannot store — a value with NUL, an unpaired
// surrogate, an extra field nested thousands deep — was acknowledged into the group commit and failed
// the whole batch: a 503 to its host AND to every other host whose event shared the batch. It is now
// refused at the door with a 400 and the reason; the events around it are stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Sql, TestDatabase } from '@fleet/db';
import { addEnterprise, intake, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '110', 'TOKEN-110');
  app = await intake(sql, { GROUP_COMMIT_WINDOW_MS: 20 });
});
afterAll(async () => {
  await app.close();
  await sql.end();
  await db.drop();
});

const start = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Token: 'TOKEN-110', UniqueId: id, CallType: 0, Phone: '375440000001', ...extra });

describe('a body PostgreSQL cannot store', () => {
  it.each([
    ['NUL in a field', start('nul.1', { Phone: '375\u0000' })],
    ['an unpaired surrogate', start('sur.1', { CallerIDName: '\ud800' })],
    [
      'an extra field nested 20 000 deep',
      start('deep.1').replace('}', `,"Extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`),
    ],
  ])('%s → 400 with the reason, and the valid events of the same batch are stored', async (_name, bad) => {
    const ids = ['a', 'b', 'c'].map((s) => `${_name.length}.${s}`);
    const [refused, ...others] = await Promise.all([
      app.inject({ method: 'POST', url: '/start', payload: bad, headers: { 'content-type': 'application/json' } }),
      ...ids.map((id) =>
        app.inject({
          method: 'POST',
          url: '/start',
          payload: start(id),
          headers: { 'content-type': 'application/json' },
        }),
      ),
    ]);
    expect(refused!.statusCode).toBe(400);
    expect(refused!.json()).toMatchObject({ status: 'error', code: 'INTAKE_INVALID_EVENT' });
    expect(others.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const stored = await sql`select unique_id from call_events where unique_id = any(${ids})`;
    expect(stored).toHaveLength(3);
  });
});
