// Host event intake: accepts exactly what hosts send (token in body or quoted header, JSON under any
// Content-Type), rejects bad input with a 4xx and a reason, commits before answering, and folds exact
// retransmissions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Sql, TestDatabase } from '@fleet/db';
import { addEnterprise, intake, scenario, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
let app: FastifyInstance;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '100', 'TOKEN-100');
  await addEnterprise(sql, '101', 'TOKEN-101', false);
  app = await intake(sql);
});
afterAll(async () => {
  await app.close();
  await sql.end();
  await db.drop();
});

const dial = () => ({ ...scenario('2-1').find((e) => e.event === 'dial')!.body, Token: 'TOKEN-100' });
const count = async () => (await sql`select count(*)::int as n from call_events`)[0]!.n as number;

describe('POST /<event>', () => {
  it("answers the hosts' expected 200 only once the event is stored", async () => {
    const before = await count();
    const res = await app.inject({ method: 'POST', url: '/dial', payload: dial() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', message: 'Event queued for processing' });
    expect(await count()).toBe(before + 1);
    const [row] = await sql`select enterprise, event_type, unique_id, body from call_events order by id desc limit 1`;
    expect(row).toMatchObject({ enterprise: '100', event_type: 'dial', unique_id: '1757772742.60' });
    expect(row!.body.Extensions).toEqual(['150', '151', '152']);
  });

  it('acknowledges an exact retransmission without storing it twice', async () => {
    const body = { ...dial(), UniqueId: 'retransmit.1' };
    const a = await app.inject({ method: 'POST', url: '/dial', payload: body });
    const before = await count();
    const b = await app.inject({ method: 'POST', url: '/dial', payload: { ...body } });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(await count()).toBe(before);
  });

  it('parses JSON whatever the Content-Type says (old dialplan curl posts)', async () => {
    for (const [i, contentType] of ['application/x-www-form-urlencoded', 'text/plain', undefined].entries()) {
      const res = await app.inject({
        method: 'POST',
        url: '/start',
        payload: JSON.stringify({
          Token: 'TOKEN-100',
          UniqueId: `ct.${i}`,
          CallType: '0',
          Phone: '375440000001',
          Trunk: '0001363',
        }),
        headers: contentType ? { 'content-type': contentType } : {},
      });
      expect(res.statusCode, String(contentType)).toBe(200);
    }
  });

  it('takes the token from a quoted header when the body has none', async () => {
    const { Token: _t, ...body } = dial();
    const res = await app.inject({
      method: 'POST',
      url: '/dial',
      payload: { ...body, UniqueId: 'hdr.1' },
      headers: { token: '"TOKEN-100"' },
    });
    expect(res.statusCode).toBe(200);
  });

  it.each([
    ['unknown token', { ...dial(), Token: 'nope' }, 403, 'INTAKE_UNKNOWN_TOKEN'],
    ['no token anywhere', { ...dial(), Token: undefined }, 403, 'INTAKE_MISSING_TOKEN'],
    ['inactive enterprise', { ...dial(), Token: 'TOKEN-101' }, 403, 'INTAKE_ENTERPRISE_INACTIVE'],
    ['CallType out of range', { ...dial(), CallType: 7 }, 400, 'INTAKE_INVALID_EVENT'],
    ['Extensions not a list', { ...dial(), Extensions: { a: 1 } }, 400, 'INTAKE_INVALID_EVENT'],
    ['missing UniqueId', { ...dial(), UniqueId: '' }, 400, 'INTAKE_INVALID_EVENT'],
    ['a nested object as Phone', { ...dial(), Phone: { x: 1 } }, 400, 'INTAKE_INVALID_EVENT'],
  ])('rejects %s with %i and a reason', async (_name, payload, status, code) => {
    const before = await count();
    const res = await app.inject({ method: 'POST', url: '/dial', payload: payload as object });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ status: 'error', code });
    expect(res.json().message).toBeTruthy();
    expect(await count()).toBe(before);
  });

  it.each([
    ['malformed JSON', '{"Token": "TOKEN-100", '],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"dial"'],
    ['an empty body', ''],
  ])('rejects %s with 400', async (_name, payload) => {
    const res = await app.inject({
      method: 'POST',
      url: '/hangup',
      payload,
      headers: { 'content-type': 'application/json', token: 'TOKEN-100' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INTAKE_MALFORMED_BODY');
  });

  it('rejects an oversized body with 413', async () => {
    const res = await app.inject({ method: 'POST', url: '/dial', payload: { ...dial(), Phone: 'x'.repeat(70_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().status).toBe('error');
  });

  it('answers 404 with a reason for an unknown event path', async () => {
    const res = await app.inject({ method: 'POST', url: '/ringing', payload: dial() });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain('/ringing');
  });

  it('commits concurrent events together (group commit)', async () => {
    const store = app.eventStore.stats;
    const batchesBefore = store.batches;
    const before = await count();
    const res = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        app.inject({ method: 'POST', url: '/dial', payload: { ...dial(), UniqueId: `burst.${i}` } }),
      ),
    );
    expect(res.every((r) => r.statusCode === 200)).toBe(true);
    expect(await count()).toBe(before + 200);
    expect(store.batches - batchesBefore).toBeLessThan(50);
    expect(store.maxBatch).toBeGreaterThan(1);
  });

  it('GET /health reports the database', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', database: true });
  });
});

describe('what a rejection says', () => {
  it('never echoes the body of malformed JSON (a form-encoded Token would leak)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/dial',
      payload: 'Token=SECRET-TOKEN-99&UniqueId=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INTAKE_MALFORMED_BODY');
    expect(res.body).not.toMatch(/SECR|Token=|N-99/);
  });
});
