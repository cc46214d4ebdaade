// De-risks crash recovery and scale-out: pending deliveries survive a restart and go out exactly once,
// and two gateway instances on one database never deliver the same row twice (the database decides,
// through the per-call lock), while keeping each call's order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { dispatchBody, seedEnterprise, startApp, startFakeCrm, waitFor, type FakeCrm } from './helpers.ts';

let db: TestDatabase;
let sqlA: Sql;
let sqlB: Sql;
let crm: FakeCrm;
const open: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sqlA = createSql(db.url, { max: 12 });
  sqlB = createSql(db.url, { max: 12 });
  crm = await startFakeCrm();
  await seedEnterprise(sqlA, '100');
});

afterAll(async () => {
  for (const a of open) await a.close();
  await crm?.close();
  await sqlA?.end();
  await sqlB?.end();
  await db?.drop();
});

async function start(sql: Sql, opts: Parameters<typeof startApp>[3] = {}) {
  const app = await startApp(sql, db.url, crm.url, opts);
  open.push(app);
  return app;
}
async function stop(app: FastifyInstance) {
  await app.close();
  open.splice(open.indexOf(app), 1);
}
const dispatch = async (app: FastifyInstance, callId: string, type: 'dial' | 'hangup', key: string) => {
  const res = await app.inject({ method: 'POST', url: '/dispatch/call-event', payload: dispatchBody('100', callId, type, key) });
  expect(res.statusCode).toBe(200);
};
const pendingCount = async () => (await sqlA<{ n: number }[]>`select count(*)::int as n from gateway_deliveries where status = 'pending'`)[0]!.n;
/** How many times the fake CRM received each (callId, dedup_key). */
const tally = (prefix: string) => {
  const m = new Map<string, number>();
  for (const b of crm.received.filter((r) => r.callId.startsWith(prefix))) {
    const k = `${b.callId}/${b.dedup_key}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
};

describe('restart', () => {
  it('resumes pending deliveries after a restart and sends each exactly once', async () => {
    // First life: the CRM is down, so everything stays pending (some rows already attempted).
    crm.behave(() => 503);
    const first = await start(sqlA);
    for (let i = 0; i < 5; i++) {
      await dispatch(first, `rs-${i}`, 'dial', 'ringing:1');
      await dispatch(first, `rs-${i}`, 'hangup', 'ended');
    }
    await waitFor(() => crm.received.length > 0);
    await stop(first);
    expect(await pendingCount()).toBe(10);

    // Second life on the same database: the CRM is back.
    crm.received.length = 0;
    crm.behave(() => 200);
    const second = await start(sqlA);
    await waitFor(async () => (await pendingCount()) === 0, 10_000);
    await new Promise((r) => setTimeout(r, 300)); // room for any duplicate to show up
    const counts = tally('rs-');
    expect(counts.size).toBe(10);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(crm.received.filter((b) => b.callId === `rs-${i}`).map((b) => b.event_type)).toEqual(['dial', 'hangup']);
    }
    await stop(second);
  });
});

describe('two instances on one database', () => {
  it('never deliver the same row twice and keep per-call order', async () => {
    crm.received.length = 0;
    // A little latency widens the window in which both instances see the same due rows.
    crm.behave(() => ({ status: 200, delayMs: 5 }));
    const a = await start(sqlA, { env: { WORKER_POLL_MS: '10', WORKER_CONCURRENCY: '4' } });
    const b = await start(sqlB, { env: { WORKER_POLL_MS: '10', WORKER_CONCURRENCY: '4' } });
    const calls = 40;
    await Promise.all(
      Array.from({ length: calls }, async (_, i) => {
        const via = i % 2 ? a : b;
        await dispatch(via, `ti-${i}`, 'dial', 'ringing:1');
        await dispatch(i % 3 ? a : b, `ti-${i}`, 'dial', 'ringing:2');
        await dispatch(via, `ti-${i}`, 'hangup', 'ended');
      }),
    );
    await waitFor(async () => (await pendingCount()) === 0, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const counts = tally('ti-');
    expect(counts.size).toBe(calls * 3);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    for (let i = 0; i < calls; i++) {
      expect(crm.received.filter((x) => x.callId === `ti-${i}`).map((x) => x.dedup_key)).toEqual(['ringing:1', 'ringing:2', 'ended']);
    }
    const byA = a.deliveryWorker.stats().delivered;
    const byB = b.deliveryWorker.stats().delivered;
    console.info(`two instances: A delivered ${byA}, B delivered ${byB}`);
    expect(byA + byB).toBe(calls * 3);
  });
});
