// Who may call, what a malformed or misdirected request gets, and what the journal keeps: the status
// codes the gateway branches on (4xx permanent except 409, 5xx transient).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';
import { createSql } from '@fleet/db';
import {
  answered,
  call,
  createWorld,
  dial,
  hangup,
  insertEnterprise,
  KEY,
  missed,
  post,
  type World,
} from './fixtures.ts';

let w: World;
beforeAll(async () => {
  w = await createWorld();
  await insertEnterprise(w.sql, '202', { enabled: false, domain: w.baseUrl, api_key: KEY });
  await insertEnterprise(w.sql, '203', { enabled: true, domain: 'http://crm.example.com', api_key: KEY });
  await insertEnterprise(w.sql, '204', null);
  await insertEnterprise(w.sql, '205', { enabled: true, domain: w.baseUrl, api_key: 'wrong-key-000000000000' });
});
afterAll(() => w.close());
afterEach(async () => {
  w.fake.reset();
  await w.sql`truncate retailcrm_call_steps, integration_logs`;
});

describe('loopback only', () => {
  it('refuses a caller that is not on the loopback interface with 403', async () => {
    const res = await post(w.app, dial(call(), ['151']), '10.1.2.3');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'RCRM_FORBIDDEN_ORIGIN' });
    expect(w.fake.state.requests).toBe(0);
  });

  it('accepts IPv6 and IPv4-mapped loopback', async () => {
    expect((await post(w.app, dial(call(), ['151']), '::1')).statusCode).toBe(200);
    expect((await post(w.app, dial(call(), ['151'], 'dial:2'), '::ffff:127.0.0.1')).statusCode).toBe(200);
  });
});

describe('validation and configuration → 400/422 (permanent)', () => {
  it('answers 400 with the reason for a malformed body', async () => {
    const bad = await post(w.app, { ...dial(call(), ['151']), event_type: 'ring' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('event_type');
    const noCall = await post(w.app, { enterprise: '201', callId: 'x', event_type: 'dial', dedup_key: 'd' });
    expect(noCall.statusCode).toBe(400);
    expect(noCall.json().message).toContain('call');
  });

  it.each([
    ['999', 'RCRM_ENTERPRISE_NOT_FOUND'],
    ['202', 'RCRM_DISABLED'],
    ['203', 'RCRM_CONFIG_INVALID'],
    ['204', 'RCRM_NOT_CONFIGURED'],
  ])('enterprise %s → 422 %s', async (enterprise, code) => {
    const res = await post(w.app, { ...dial(call(), ['151']), enterprise });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe(code);
    expect(w.fake.state.requests).toBe(0);
  });

  it('an internal call → 422 RCRM_NOT_CUSTOMER_CALL', async () => {
    const res = await post(w.app, dial(call({ kind: 'internal', direction: 'internal' }), ['151']));
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('RCRM_NOT_CUSTOMER_CALL');
  });

  it('a permanent CRM refusal → 422 with the CRM errorMsg; the history upload is still attempted', async () => {
    const res = await post(w.app, { ...hangup(missed()), enterprise: '205' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'RCRM_UPSTREAM_REJECTED',
      errorMsg: 'Wrong "apiKey" value.',
      steps: [
        { step: 'event:dial:synthetic', outcome: 'rejected', errorMsg: 'Wrong "apiKey" value.' },
        { step: 'event:hangup', outcome: 'rejected', errorMsg: 'Wrong "apiKey" value.' },
        { step: 'upload', outcome: 'rejected', errorMsg: 'Wrong "apiKey" value.' },
      ],
    });
    // Nothing is marked done: a redelivery after the key is fixed performs both steps.
    expect(await w.sql`select * from retailcrm_call_steps where enterprise = '205'`).toHaveLength(0);
  });
});

describe('integration_logs', () => {
  it('journals every request and response, without the API key or the client id', async () => {
    await post(w.app, dial(call(), ['151']));
    await post(w.app, hangup(answered()));
    const rows = await w.sql<
      {
        kind: string;
        call_id: string;
        phone: string;
        method: string;
        url: string;
        status_code: number;
        ok: boolean;
        latency_ms: number;
        request: Record<string, unknown>;
        response: string;
      }[]
    >`
      select * from integration_logs order by id`;
    expect(rows.map((r) => [r.kind, r.call_id, r.phone, r.method, r.status_code, r.ok])).toEqual([
      ['call.event', '1709276405.101', '+375440000001', 'POST', 200, true],
      ['call.event', '1709276405.101', '+375440000001', 'POST', 200, true],
      ['calls.upload', '1709276405.101', '+375440000001', 'POST', 200, true],
    ]);
    expect(rows[0]!.url).toBe(`${w.baseUrl}/api/v5/telephony/call/event`);
    expect(rows[0]!.request).toMatchObject({ event: { type: 'in', codes: ['151'] } });
    expect(rows[2]!.response).toContain('processedCallsCount');
    expect(rows.every((r) => r.latency_ms >= 0)).toBe(true);
    const all = await w.sql<{ t: string }[]>`select string_agg(row_to_json(l)::text, '') as t from integration_logs l`;
    expect(all[0]!.t).not.toContain(KEY);
    expect(all[0]!.t).not.toContain('client-id-secret-1');
  });

  it('journals failed attempts too (503s, refusals), still without the key', async () => {
    w.fake.setFaults({ fail503Next: 10 });
    await post(w.app, dial(call(), ['151']));
    w.fake.setFaults({});
    await post(w.app, { ...hangup(missed()), enterprise: '205' });
    const rows = await w.sql<
      { status_code: number; ok: boolean; error: string | null; enterprise: string }[]
    >`select * from integration_logs order by id`;
    expect(rows.map((r) => [r.enterprise, r.status_code, r.ok])).toEqual([
      ['201', 503, false],
      ['201', 503, false],
      ['205', 403, false],
      ['205', 403, false],
      ['205', 403, false],
    ]);
    expect(rows[0]!.error).toMatch(/^RCRM_RATE_LIMITED/);
    const all = await w.sql<{ t: string }[]>`select string_agg(row_to_json(l)::text, '') as t from integration_logs l`;
    expect(all[0]!.t).not.toContain(KEY);
    expect(all[0]!.t).not.toContain('wrong-key-000000000000');
  });
});

describe('health', () => {
  it('200 with the database, 503 without', async () => {
    const ok = await w.app.inject({ method: 'GET', url: '/health' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ok', database: true });
    const deadSql = createSql('postgres://nobody@127.0.0.1:9/none', { max: 1 });
    const config = loadRetailCrmConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
      LOG_LEVEL: 'silent',
    });
    const app = await buildApp({ sql: deadSql, config, logger: false });
    const down = await app.inject({ method: 'GET', url: '/health' });
    await app.close();
    await deadSql.end({ timeout: 0 });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'unavailable', database: false });
  });
});
