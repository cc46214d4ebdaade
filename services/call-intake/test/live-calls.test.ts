// Issue 12: the path while an enterprise has 500 live calls. The call model's state of 500 ringing calls
// is hundreds of KB; a batch must not carry it (the state stays in memory, snapshotted now and then:
// processor/model-store.ts), so one more call costs what it costs in an idle enterprise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql, type TestDatabase } from '@fleet/db';
import { addEnterprise, intake, scenario, withDatabase } from './helpers.ts';

const LIVE = 500;
let db: TestDatabase;
let sql: Sql;
let traced: Sql;
let capture = false;
/** Statements sent while capturing: text and the bytes of their parameters. */
const statements: { query: string; bytes: number }[] = [];

const sizeOf = (p: unknown): number =>
  typeof p === 'string' ? Buffer.byteLength(p) : p == null ? 0 : Buffer.byteLength(JSON.stringify(p) ?? '');

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  traced = createSql(db.url, {
    debug: (_c, query, parameters) => {
      if (capture) statements.push({ query, bytes: parameters.reduce<number>((n, p) => n + sizeOf(p), 0) });
    },
  });
  await addEnterprise(sql, '500', 'TOKEN-500');
});
afterAll(async () => {
  await traced.end();
  await sql.end();
  await db.drop();
});

type App = Awaited<ReturnType<typeof intake>>;
async function post(app: App, event: string, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: `/${event}`, payload: { ...body, Token: 'TOKEN-500' } });
  expect(res.statusCode).toBe(200);
}

describe(`an enterprise with ${LIVE} live calls`, () => {
  it('processes one more call without writing the live calls again: every statement stays small', async () => {
    const app = await intake(traced, {});
    for (let i = 0; i < LIVE; i++) {
      const u = `1800000000.${i}`;
      const phone = `37529${String(1_000_000 + i)}`;
      const line = { UniqueId: u, CallType: 0, Phone: phone, Trunk: '0001363' };
      await post(app, 'start', line);
      await post(app, 'dial', { ...line, ExtPhone: phone, ExtTrunk: '', Extensions: [String(100 + (i % 300))] });
    }
    await app.processor.sweep();
    const [live] = await sql<{ n: number }[]>`
      select count(*)::int as n from calls where enterprise = '500' and status = 'ringing'`;
    expect(live!.n).toBe(LIVE);

    capture = true;
    for (const e of scenario('2-1'))
      await post(app, e.event, { ...e.body, UniqueId: e.body.UniqueId ? `${e.body.UniqueId}L` : '' });
    await app.processor.sweep();
    await new Promise((r) => setTimeout(r, 5));
    await app.processor.sweep();
    capture = false;
    const rows = await sql<{ dedup_key: string; payload: { call: { answeredBy: string } } }[]>`
      select dedup_key, payload from intake_outbox where call_id = '1757772742.60L' order by id`;
    expect(rows.map((r) => r.dedup_key)).toEqual(['ringing:1', 'ended']);
    expect(rows[1]!.payload.call.answeredBy).toBe('151');
    const biggest = statements.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    expect(statements.length).toBeGreaterThan(10);
    expect(biggest.bytes, biggest.query.slice(0, 120)).toBeLessThan(32 * 1024);
    await app.close();

    // What a batch would carry if it wrote the state: a snapshot of these live calls (forced here).
    const snap = await intake(sql, {}, { events: 1 });
    await post(snap, 'start', { UniqueId: '1800000001.1', CallType: 0, Phone: '375291999999', Trunk: '0001363' });
    await snap.processor.sweep();
    await snap.close();
    const [state] = await sql<{ bytes: number; calls: number }[]>`
      select length(state::text) as bytes, (select count(*)::int from jsonb_object_keys(state->'calls')) as calls
      from call_model_state where enterprise = '500'`;
    expect(state!.calls).toBeGreaterThanOrEqual(LIVE);
    expect(state!.bytes).toBeGreaterThan(10 * 32 * 1024);
  });
});
