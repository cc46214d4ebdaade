// De-risks the HTTP contract with call-intake: validation, who may call, token check, "ignored" for
// enterprises without integrations, and idempotent dispatch (same dedup_key twice → one forward).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { dispatchBody, seedEnterprise, startApp, startFakeCrm, waitFor, type FakeCrm } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let crm: FakeCrm;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 12 });
  crm = await startFakeCrm();
  await seedEnterprise(sql, '100');
  await seedEnterprise(sql, '200', { retailcrm: false });
  app = await startApp(sql, db.url, crm.url);
});

afterAll(async () => {
  await app?.close();
  await crm?.close();
  await sql?.end();
  await db?.drop();
});

const post = (body: unknown, remoteAddress?: string) =>
  app.inject({ method: 'POST', url: '/dispatch/call-event', payload: body as object, ...(remoteAddress ? { remoteAddress } : {}) });

describe('POST /dispatch/call-event', () => {
  it('rejects a body that breaks the schema with 400 and the reason', async () => {
    const { token: _t, ...noToken } = dispatchBody('100', 'c-1', 'dial', 'ringing:1');
    const res = await post(noToken);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'FST_ERR_VALIDATION' });
    expect(res.json().message).toContain('token');

    const badType = await post(dispatchBody('100', 'c-1', 'answer' as 'dial', 'x'));
    expect(badType.statusCode).toBe(400);
    const numberToken = await post({ ...dispatchBody('100', 'c-1', 'dial', 'x'), token: 12345 });
    expect(numberToken.statusCode).toBe(400);
  });

  // Regression (fuzz seed 4242763102): an unpaired surrogate in dedup_key passed the schema, failed the
  // jsonb insert and came back as 503 GW_DB_UNAVAILABLE, which call-intake would retry for ever.
  it('answers 400 with the reason for a body PostgreSQL cannot store (NUL, unpaired surrogate), storing nothing', async () => {
    const before = (await sql<{ n: number }[]>`select count(*)::int as n from gateway_deliveries`)[0]!.n;
    for (const body of [
      { ...dispatchBody('100', 'c-sur', 'dial', 'ringing:1'), dedup_key: 'k\udd1b' },
      { ...dispatchBody('100', 'c-sur', 'dial', 'ringing:1'), raw: { CallerIDName: 'x\ud800y' } },
      { ...dispatchBody('100', 'c-nul', 'dial', 'ringing:1'), uniqueId: 'a\u0000b' },
    ]) {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'GW_BODY_UNSTORABLE' });
      expect(res.json().message).toMatch(/NUL or an unpaired surrogate/);
    }
    expect((await sql<{ n: number }[]>`select count(*)::int as n from gateway_deliveries`)[0]!.n).toBe(before);
  });

  it('refuses callers that are not on the loopback interface', async () => {
    const res = await post(dispatchBody('100', 'c-2', 'dial', 'ringing:1'), '10.1.2.3');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('GW_FORBIDDEN_ORIGIN');
  });

  it('answers 422 for an unknown enterprise and 403 for a wrong token', async () => {
    const unknown = await post(dispatchBody('999', 'c-3', 'dial', 'ringing:1'));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('GW_UNKNOWN_ENTERPRISE');
    const wrong = await post({ ...dispatchBody('100', 'c-3', 'dial', 'ringing:1'), token: 'token-200' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('GW_BAD_TOKEN');
  });

  it('ignores events of an enterprise without enabled integrations (200, nothing stored)', async () => {
    const res = await post(dispatchBody('200', 'c-4', 'dial', 'ringing:1'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ignored' });
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from gateway_deliveries where enterprise = '200'`;
    expect(row!.n).toBe(0);
  });

  it('is idempotent per dedup_key: the same event twice gives one delivery and one forward', async () => {
    const body = dispatchBody('100', 'c-5', 'dial', 'ringing:1');
    const first = await post(body);
    const second = await post(body);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ status: 'accepted', integrations: ['retailcrm'], duplicate: false });
    expect(second.json()).toEqual({ status: 'accepted', integrations: ['retailcrm'], duplicate: true });

    await waitFor(async () => (await sql`select 1 from gateway_deliveries where call_id = 'c-5' and status = 'done'`).length === 1);
    await new Promise((r) => setTimeout(r, 200)); // a second forward would have happened by now
    expect(crm.received.filter((b) => b.callId === 'c-5')).toHaveLength(1);
    expect(crm.received.find((b) => b.callId === 'c-5')).toMatchObject({
      enterprise: '100',
      event_type: 'dial',
      dedup_key: 'ringing:1',
      synthetic: false,
      new_extensions: ['151'],
      origin: 'live',
    });
    const rows = await sql`select payload from gateway_deliveries where call_id = 'c-5'`;
    expect(JSON.stringify(rows)).not.toContain('token-100'); // the host token is never stored
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

  it('GET /health reports the database and /stats the cache, LISTEN, breakers and outbox', async () => {
    const health = await app.inject('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', db: true, listen: 'listening' });

    const stats = (await app.inject('/stats')).json();
    expect(stats.cache).toMatchObject({ listen: { state: 'listening' } });
    expect(stats.cache.hits).toBeGreaterThan(0);
    expect(typeof stats.cache.hitRatio).toBe('number');
    expect(stats.cache.lastFullReloadAt).not.toBeNull();
    expect(stats.deliveries).toMatchObject({ pending: 0, done: 1, dead: 0 });
    expect(stats.breakers).toEqual([expect.objectContaining({ enterprise: '100', integration: 'retailcrm', state: 'closed' })]);
    expect(stats.deadLetters).toEqual([]);
  });

  it('POST /cache/invalidate/:enterprise evicts the entry (loopback only)', async () => {
    expect((await app.inject({ method: 'POST', url: '/cache/invalidate/100', remoteAddress: '192.168.0.9' })).statusCode).toBe(403);
    const before = (await app.inject('/stats')).json().cache.invalidations;
    const res = await app.inject({ method: 'POST', url: '/cache/invalidate/100' });
    expect(res.json()).toEqual({ status: 'invalidated', enterprise: '100' });
    expect((await app.inject('/stats')).json().cache.invalidations).toBe(before + 1);
  });
});
