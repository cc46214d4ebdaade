// What call-intake's Telegram cards get from GET /internal/retailcrm/caller (issue 14 item 2): the
// customer's name and RetailCRM's links for a known number, «new client» and its links for an unknown
// one, from the one cache getcustomerdata uses (a repeat, or getcustomerdata after it, does not ask
// RetailCRM again); RetailCRM down or hanging answers a quick {known: false, unavailable: true}; bad
// input and an enterprise without the integration are 4xx with a reason; the API key never shows.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';
import { freePort } from '../../../test/support/net.ts';
import { insertEnterprise } from './fixtures.ts';

const KEY = 'crm-key-caller-0123456789abcdef0123456789';

let db: TestDatabase;
let sql: Sql;
let fake: RetailCrmFake;
let crm: string;
let app: FastifyInstance;
const logs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 5 });
  fake = createRetailCrmFake({
    apiKeys: [{ key: KEY }],
    users: [{ id: 18, active: true, firstName: 'Anna' }],
    customers: [
      {
        id: 7,
        firstName: 'Анна',
        lastName: 'Смирнова "Ко"',
        phones: [{ number: '+375 (29) 111-22-33' }],
        lastOrderId: 42,
      },
    ],
  });
  crm = await fake.listen();
  const settings = (domain: string) => ({ enabled: true, domain, api_key: KEY, client_id: `c-${domain.length}` });
  await insertEnterprise(sql, '201', settings(crm));
  await insertEnterprise(sql, '203', settings(`http://127.0.0.1:${await freePort()}`)); // nothing listens
  await insertEnterprise(sql, '204', null); // no RetailCRM at all
  await insertEnterprise(sql, '205', { ...settings(crm), enabled: false });
  const config = loadRetailCrmConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'info',
    // Far above the route's deadline (CUSTOMER_DATA_DEADLINE_MS, 1.2 s): a route waiting for RetailCRM
    // instead of its deadline would take 10 s or more below.
    RETAILCRM_TIMEOUT_MS: '10000',
    RETAILCRM_RETRY_MIN_MS: '10',
  });
  app = await buildApp({
    sql,
    config,
    logger: { level: 'debug', stream: { write: (line: string) => void logs.push(line) } },
  });
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
  await sql?.end();
  await db?.drop();
});
beforeEach(() => fake.setFaults({}));

const caller = (query: string, remoteAddress = '127.0.0.1') =>
  app.inject({ method: 'GET', url: `/internal/retailcrm/caller?${query}`, remoteAddress });

describe('GET /internal/retailcrm/caller', () => {
  it('a known number (stored in another format): the name as people write it and the links', async () => {
    const res = await caller('enterprise=201&phone=375291112233');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      known: true,
      name: 'Смирнова "Ко" Анна',
      links: {
        customer: `${crm}/customers/7`,
        lastOrder: `${crm}/orders/42/edit`,
        newOrder: `${crm}/orders/add?customerId=7`,
      },
    });
  });

  it('cache hit: a repeat, and getcustomerdata for the same number, do not ask RetailCRM again', async () => {
    await caller('enterprise=201&phone=%2B375291112233');
    const before = fake.state.requests;
    expect((await caller('enterprise=201&phone=%2B375291112233')).json()).toMatchObject({ known: true });
    const host = await app.inject({
      method: 'POST',
      url: '/api/callevent/getcustomerdata',
      headers: { token: 'token-201' },
      payload: { UniqueId: '1709276405.101', Phone: '+375291112233' },
    });
    expect(host.json()).toEqual({ Name: 'Смирнова Ко Анна', DialPlan: null });
    expect(fake.state.requests).toBe(before);
  });

  it('concurrent askers of a new number share one request to RetailCRM', async () => {
    const before = fake.state.requests;
    const answers = await Promise.all([1, 2, 3, 4].map(() => caller('enterprise=201&phone=375290000777')));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200]);
    expect(fake.state.requests).toBe(before + 1);
  });

  it('an unknown number: known false, no name, the links to a new order and a new customer', async () => {
    const res = await caller('enterprise=201&phone=375449999999');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      known: false,
      links: {
        newOrder: `${crm}/orders/add?phone=375449999999`,
        newCustomer: `${crm}/customers/add?phone=375449999999`,
      },
    });
  });

  it('RetailCRM down (connection refused): {known: false, unavailable: true}', async () => {
    const res = await caller('enterprise=203&phone=375291112233');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ known: false, unavailable: true });
  });

  it('RetailCRM hanging or answering 503: unavailable within the deadline, and not cached', async () => {
    // RetailCRM holds the request 12 s; the route's deadline is 1.2 s, the client's timeout 10 s.
    fake.setFaults({ hangNext: 1, hangMs: 12_000 });
    const t0 = Date.now();
    expect((await caller('enterprise=201&phone=375290000888')).json()).toEqual({ known: false, unavailable: true });
    expect(Date.now() - t0).toBeLessThan(6_000);
    fake.setFaults({ fail503Next: 20 });
    expect((await caller('enterprise=201&phone=375290000999')).json()).toEqual({ known: false, unavailable: true });
    fake.setFaults({});
    // Nothing was cached from the failure: the next ask gets the answer.
    expect((await caller('enterprise=201&phone=375290000999')).json()).toMatchObject({ known: false });
    expect((await caller('enterprise=201&phone=375290000999')).json().unavailable).toBeUndefined();
  });

  it('bad input is a 400 with the reason; no lookup happens', async () => {
    const before = fake.state.requests;
    for (const q of ['enterprise=201', 'phone=375291112233', 'enterprise=abc&phone=375291112233']) {
      const res = await caller(q);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/enterprise|phone/);
    }
    for (const phone of ['abc', '12', '1234567890123456789', '%3Cscript%3E']) {
      const res = await caller(`enterprise=201&phone=${phone}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'RCRM_CALLER_QUERY_INVALID', message: expect.stringMatching(/phone/) });
    }
    expect(fake.state.requests).toBe(before);
  });

  it('an enterprise without the integration, switched off or unknown: 422 with the reason', async () => {
    expect((await caller('enterprise=204&phone=375291112233')).json()).toMatchObject({
      statusCode: 422,
      code: 'RCRM_NOT_CONFIGURED',
    });
    expect((await caller('enterprise=205&phone=375291112233')).json()).toMatchObject({ code: 'RCRM_DISABLED' });
    expect((await caller('enterprise=999&phone=375291112233')).json()).toMatchObject({
      code: 'RCRM_ENTERPRISE_NOT_FOUND',
    });
  });

  it('loopback only', async () => {
    const res = await caller('enterprise=201&phone=375291112233', '10.1.2.3');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('RCRM_FORBIDDEN_ORIGIN');
  });

  it('the API key shows in no answer and no log line', async () => {
    await caller('enterprise=203&phone=375290001234');
    fake.setFaults({ fail503Next: 20 });
    await caller('enterprise=201&phone=375290001235');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(KEY);
    expect(logs.join('\n')).toContain('caller lookup failed; failing open');
  });
});
