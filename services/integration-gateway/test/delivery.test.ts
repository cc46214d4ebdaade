// De-risks what the CRM observes: per-call order, the synthetic dial before a lone hangup, late dials
// superseded, transient failures retried until delivered, permanent refusals dead-lettered at once.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { dispatchBody, seedEnterprise, startApp, startFakeCrm, waitFor, type Behaviour, type FakeCrm } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let crm: FakeCrm;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 12 });
  crm = await startFakeCrm();
  await seedEnterprise(sql, '100');
  await seedEnterprise(sql, '400');
  app = await startApp(sql, db.url, crm.url);
});

beforeEach(() => crm.behave(() => 200));

afterAll(async () => {
  await app?.close();
  await crm?.close();
  await sql?.end();
  await db?.drop();
});

const dispatch = async (callId: string, type: 'dial' | 'hangup', key: string, over: Record<string, unknown> = {}) => {
  const res = await app.inject({ method: 'POST', url: '/dispatch/call-event', payload: dispatchBody('100', callId, type, key, over) });
  expect(res.statusCode).toBe(200);
  return res.json();
};
const statusOf = async (callId: string) =>
  Object.fromEntries(
    (await sql<{ dedup_key: string; status: string }[]>`select dedup_key, status from gateway_deliveries where call_id = ${callId}`).map(
      (r) => [r.dedup_key, r.status],
    ),
  );
const allSettled = (callId: string) => async () =>
  (await sql`select 1 from gateway_deliveries where call_id = ${callId} and status = 'pending'`).length === 0;
const seen = (callId: string) => crm.received.filter((b) => b.callId === callId).map((b) => `${b.event_type}:${b.dedup_key}${b.synthetic ? '*' : ''}`);

describe('delivery order', () => {
  it("delivers each call's events in dispatch order, calls in parallel", async () => {
    // The first request of each call is slow and fails once: later events of that call must wait.
    const firstOfCall = new Set<string>();
    crm.behave((b) => {
      if (!firstOfCall.has(b.callId)) {
        firstOfCall.add(b.callId);
        return 503;
      }
      return 200;
    });
    for (const id of ['ord-a', 'ord-b']) {
      await dispatch(id, 'dial', 'ringing:1');
      await dispatch(id, 'dial', 'ringing:2', { new_extensions: ['152'] });
      await dispatch(id, 'hangup', 'ended');
    }
    await waitFor(allSettled('ord-a'));
    await waitFor(allSettled('ord-b'));
    for (const id of ['ord-a', 'ord-b']) {
      expect(seen(id)).toEqual(['dial:ringing:1', 'dial:ringing:1', 'dial:ringing:2', 'hangup:ended']);
      expect(await statusOf(id)).toEqual({ 'ringing:1': 'done', 'ringing:2': 'done', ended: 'done' });
    }
  });
});

describe('synthetic dial and superseded dial', () => {
  it('sends a synthetic dial before a hangup whose call had no dial delivered', async () => {
    await dispatch('syn-1', 'hangup', 'ended');
    await waitFor(allSettled('syn-1'));
    expect(seen('syn-1')).toEqual(['dial:dial:synthetic*', 'hangup:ended']);
    const dial = crm.received.find((b) => b.callId === 'syn-1' && b.synthetic)!;
    expect(dial.new_extensions).toEqual(['151', '152']); // = call.ringing, so the popup opens and closes
    expect(dial.call.status).toBe('ended');
    expect(await statusOf('syn-1')).toEqual({ 'dial:synthetic': 'done', ended: 'done' });
  });

  it('does not send a synthetic dial when a real dial was delivered', async () => {
    await dispatch('syn-2', 'dial', 'ringing:1');
    await dispatch('syn-2', 'hangup', 'ended');
    await waitFor(allSettled('syn-2'));
    expect(seen('syn-2')).toEqual(['dial:ringing:1', 'hangup:ended']);
  });

  it('marks a dial that arrives after the hangup was delivered as superseded, never sent', async () => {
    await dispatch('late-1', 'hangup', 'ended');
    await waitFor(allSettled('late-1'));
    await dispatch('late-1', 'dial', 'ringing:1');
    await waitFor(async () => (await statusOf('late-1'))['ringing:1'] === 'superseded');
    expect(seen('late-1')).toEqual(['dial:dial:synthetic*', 'hangup:ended']);
  });
});

describe('failures', () => {
  it('retries transient failures (5xx, 409, 429, reset, timeout) and then delivers once', async () => {
    // 3 attempts per run (FORWARD_RETRIES=2), so this also goes through one reschedule.
    const script: Behaviour[] = [
      503,
      { status: 409, body: '{"error":"in progress"}' },
      { status: 429, headers: { 'retry-after': '0' } },
      'reset',
      'hang',
    ];
    let n = 0;
    crm.behave((b) => (b.callId === 'tr-1' ? (script[n++] ?? 200) : 200));
    await dispatch('tr-1', 'dial', 'ringing:1');
    await waitFor(async () => (await statusOf('tr-1'))['ringing:1'] === 'done', 15_000);
    expect(seen('tr-1')).toHaveLength(script.length + 1);
    const [row] = await sql`select attempts, last_error from gateway_deliveries where call_id = 'tr-1'`;
    expect(row!.last_error).toBeNull();
  });

  it('dead-letters a permanent 4xx at once: status dead, integration_logs row, visible in /stats', async () => {
    crm.behave((b) => (b.callId === 'perm-1' ? { status: 400, body: '{"error":"bad phone"}' } : 200));
    await dispatch('perm-1', 'dial', 'ringing:1');
    await waitFor(async () => (await statusOf('perm-1'))['ringing:1'] === 'dead');
    expect(seen('perm-1')).toEqual(['dial:ringing:1']); // no retry of a permanent refusal
    const logs = await sql`select kind, status_code, response, ok, url, error from integration_logs where call_id = 'perm-1'`;
    expect(logs).toEqual([
      {
        kind: 'dead_letter',
        status_code: 400,
        response: '{"error":"bad phone"}',
        ok: false,
        url: `${crm.url}/internal/retailcrm/call-event`,
        error: expect.stringContaining('HTTP 400'),
      },
    ]);
    const stats = (await app.inject('/stats')).json();
    expect(stats.deliveries.dead).toBeGreaterThanOrEqual(1);
    expect(stats.deadLetters[0]).toMatchObject({ call_id: 'perm-1', status_code: 400 });
    // A permanent refusal says nothing about the service's health: the breaker stays closed.
    expect(stats.breakers[0].state).toBe('closed');
  });
});

describe('integration switched off', () => {
  it('drops pending deliveries as disabled once the integration is turned off', async () => {
    crm.behave((b) => (b.enterprise === '400' ? 503 : 200));
    const res = await app.inject({ method: 'POST', url: '/dispatch/call-event', payload: dispatchBody('400', 'off-1', 'dial', 'ringing:1') });
    expect(res.json().status).toBe('accepted');
    await waitFor(() => crm.received.some((b) => b.callId === 'off-1'));
    await sql`update enterprises set integrations_config = '{}' where number = '400'`;
    await waitFor(async () => (await statusOf('off-1'))['ringing:1'] === 'disabled', 5000);
    const sent = seen('off-1').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(seen('off-1')).toHaveLength(sent);
  });
});
