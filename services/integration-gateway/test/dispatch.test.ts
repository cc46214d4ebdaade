// De-risks the HTTP contract with call-intake's dispatcher: validation, who may call, "ignored" for
// enterprises without integrations, and the synchronous forward whose answer IS the outcome — the
// gateway keeps no copy of a side effect, retries nothing itself, and says 503 (retry later, with the
// integration's Retry-After) or 422 (refused for good) so that the dispatcher's outbox row decides.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { dispatchBody, seedEnterprise, startApp, startFakeCrm, type FakeCrm } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let crm: FakeCrm;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  crm = await startFakeCrm();
  await seedEnterprise(sql, '100');
  await seedEnterprise(sql, '200', { retailcrm: false });
  await seedEnterprise(sql, '300');
  // One enterprise per outcome: the breakers are per enterprise, so failures of one test stay there.
  for (const e of ['101', '102', '103']) await seedEnterprise(sql, e);
  app = await startApp(sql, db.url, crm.url, { env: { BREAKER_VOLUME: '3', BREAKER_RESET_MS: '60000' } });
});

afterAll(async () => {
  await app?.close();
  await crm?.close();
  await sql?.end();
  await db?.drop();
});

beforeEach(() => crm.behave(() => 200));

const post = (body: unknown, remoteAddress?: string) =>
  app.inject({
    method: 'POST',
    url: '/dispatch/call-event',
    payload: body as object,
    ...(remoteAddress ? { remoteAddress } : {}),
  });
const forwardsOf = (callId: string) => crm.received.filter((b) => b.callId === callId);

describe('POST /dispatch/call-event: the contract', () => {
  it('rejects a body that breaks the schema with 400 and the reason, forwarding nothing', async () => {
    const { callId: _c, ...noCallId } = dispatchBody('100', 'c-1', 'dial', 'ringing:1');
    const res = await post(noCallId);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'FST_ERR_VALIDATION' });
    expect(res.json().message).toContain('callId');
    expect((await post(dispatchBody('100', 'c-1', 'answer' as 'dial', 'x'))).statusCode).toBe(400);
    expect((await post({ ...dispatchBody('100', 'c-1', 'dial', 'x'), origin: 'elsewhere' })).statusCode).toBe(400);
    expect(forwardsOf('c-1')).toEqual([]);
  });

  // Regression (fuzz seed 4242763102): an unpaired surrogate in dedup_key passed the schema and failed
  // downstream as a 503, which call-intake would retry for ever.
  it('answers 400 with the reason for a body PostgreSQL cannot store (NUL, unpaired surrogate)', async () => {
    for (const body of [
      { ...dispatchBody('100', 'c-sur', 'dial', 'ringing:1'), dedup_key: 'k\udd1b' },
      { ...dispatchBody('100', 'c-nul', 'dial', 'ringing:1'), callId: 'a\u0000b' },
    ]) {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'GW_BODY_UNSTORABLE' });
      expect(res.json().message).toMatch(/NUL or an unpaired surrogate/);
    }
    expect(forwardsOf('c-sur')).toEqual([]);
  });

  it('refuses callers that are not on the loopback interface', async () => {
    const res = await post(dispatchBody('100', 'c-2', 'dial', 'ringing:1'), '10.1.2.3');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('GW_FORBIDDEN_ORIGIN');
  });

  it('answers 422 for an unknown enterprise (after a fresh look at the database)', async () => {
    const unknown = await post(dispatchBody('999', 'c-3', 'dial', 'ringing:1'));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('GW_UNKNOWN_ENTERPRISE');
    // Created after the first miss was cached: the refusal is re-checked, so it is found at once.
    await seedEnterprise(sql, '999');
    expect((await post(dispatchBody('999', 'c-3', 'dial', 'ringing:1'))).json()).toMatchObject({ status: 'delivered' });
  });

  it('ignores events of an enterprise without enabled integrations (200, nothing forwarded)', async () => {
    const res = await post(dispatchBody('200', 'c-4', 'dial', 'ringing:1'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ignored', integrations: [], results: {} });
    expect(forwardsOf('c-4')).toEqual([]);
  });
});

describe('POST /dispatch/call-event: the outcome', () => {
  it('forwards the body unchanged and answers with the integration’s own answer', async () => {
    crm.behave(() => ({
      status: 200,
      body: JSON.stringify({ status: 'ok', steps: [{ step: 'event:dial:ringing:1', outcome: 'done' }] }),
    }));
    const body = dispatchBody('100', 'c-5', 'dial', 'ringing:1');
    const res = await post(body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'delivered',
      integrations: ['retailcrm'],
      results: { retailcrm: { status: 'ok', steps: [{ step: 'event:dial:ringing:1', outcome: 'done' }] } },
    });
    expect(forwardsOf('c-5')).toEqual([body]);
  });

  it('answers 503 with the integration’s Retry-After on a transient failure, and retries nothing itself', async () => {
    crm.behave(() => ({
      status: 503,
      headers: { 'retry-after': '7' },
      body: JSON.stringify({ code: 'RCRM_UPSTREAM_UNAVAILABLE' }),
    }));
    const res = await post(dispatchBody('101', 'c-6', 'hangup', 'ended'));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({
      code: 'GW_UPSTREAM_TRANSIENT',
      errors: [{ integration: 'retailcrm', upstreamStatus: 503 }],
    });
    expect(forwardsOf('c-6')).toHaveLength(1);
  });

  it('answers 503 when the integration does not answer within FORWARD_TIMEOUT_MS', async () => {
    crm.behave(() => 'hang');
    const res = await post(dispatchBody('101', 'c-7', 'dial', 'ringing:1'));
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('GW_UPSTREAM_TRANSIENT');
  });

  it('answers 422 GW_UPSTREAM_REJECTED with the integration’s reason on a permanent refusal', async () => {
    crm.behave(() => ({
      status: 422,
      body: JSON.stringify({ code: 'RCRM_UPSTREAM_REJECTED', message: 'Phone is not valid' }),
    }));
    const res = await post(dispatchBody('102', 'c-8', 'dial', 'ringing:1'));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'GW_UPSTREAM_REJECTED',
      errors: [{ integration: 'retailcrm', code: 'GW_UPSTREAM_PERMANENT', upstreamStatus: 422 }],
    });
    expect(res.json().errors[0].response).toContain('Phone is not valid');
  });

  it('opens the breaker of one enterprise+integration after repeated failures: 503 GW_BREAKER_OPEN unsent, others unaffected', async () => {
    crm.behave((b) => (b.enterprise === '300' ? 502 : 200));
    for (let i = 0; i < 4; i++) await post(dispatchBody('300', `c-br-${i}`, 'dial', 'ringing:1'));
    const sentBefore = crm.received.length;
    const res = await post(dispatchBody('300', 'c-br-x', 'dial', 'ringing:1'));
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('GW_BREAKER_OPEN');
    expect(res.headers['retry-after']).toBe('1');
    expect(crm.received.length).toBe(sentBefore);
    expect((await post(dispatchBody('103', 'c-br-ok', 'dial', 'ringing:1'))).statusCode).toBe(200);
  });
});

describe('read-only routes', () => {
  it('GET /integrations/:enterprise answers all-false for unknown or integration-less enterprises', async () => {
    expect((await app.inject('/integrations/100')).json()).toEqual({ retailcrm: true });
    expect((await app.inject('/integrations/200')).json()).toEqual({ retailcrm: false });
    const unknown = await app.inject('/integrations/424242');
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ retailcrm: false });
  });

  it('GET /health reports the database and /stats the cache, LISTEN, breakers and dispatch outcomes', async () => {
    const health = await app.inject('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', db: true, listen: 'listening' });
    const stats = (await app.inject('/stats')).json();
    expect(stats.cache).toMatchObject({ listen: { state: 'listening' } });
    expect(stats.cache.hits).toBeGreaterThan(0);
    expect(stats.cache.lastFullReloadAt).not.toBeNull();
    expect(stats.dispatches.delivered).toBeGreaterThan(0);
    expect(stats.dispatches.ignored).toBe(1);
    expect(stats.dispatches.rejected).toBe(1);
    expect(stats.breakers).toEqual(
      expect.arrayContaining([expect.objectContaining({ enterprise: '300', integration: 'retailcrm', state: 'open' })]),
    );
  });

  it('POST /cache/invalidate/:enterprise evicts the entry (loopback only)', async () => {
    expect(
      (await app.inject({ method: 'POST', url: '/cache/invalidate/100', remoteAddress: '192.168.0.9' })).statusCode,
    ).toBe(403);
    const before = (await app.inject('/stats')).json().cache.invalidations;
    const res = await app.inject({ method: 'POST', url: '/cache/invalidate/100' });
    expect(res.json()).toEqual({ status: 'invalidated', enterprise: '100' });
    expect((await app.inject('/stats')).json().cache.invalidations).toBe(before + 1);
  });
});
