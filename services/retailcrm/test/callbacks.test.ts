// What hosts and RetailCRM observe from the callbacks: getcustomerdata's answer that a naive dialplan
// splits (the comma incident), failing open within 1.5 s whatever RetailCRM (down, 503, slow, garbage)
// or our own database does, its cache; manager status stored and shown.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';
import { customerNameOf, dialPlanFor, safeAnswer } from '../src/callbacks/customer-data.ts';
import { freePort } from '../../../test/support/net.ts';

const KEY = 'crm-key-5f4e3d2c1b0a99887766554433221100';
const CLIENT_ID = 'aabbccddeeff00112233445566778899';
const TOKEN = 'host-token-201';

let db: TestDatabase;
let sql: Sql;
let fake: RetailCrmFake;
let app: FastifyInstance;
/** A RetailCRM that misbehaves as told (enterprise 202); enterprise 203's RetailCRM is down (nothing listens). */
let odd: Server;
let oddMode: (res: ServerResponse, req: IncomingMessage) => void = (res) => res.end();
let oddRequests = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 5 });
  fake = createRetailCrmFake({
    apiKeys: [{ key: KEY }],
    users: [
      { id: 18, active: true, firstName: 'Anna' },
      { id: 19, active: true },
    ],
    managerByPhone: { '+375440000001': 18, '+375440000002': 19, '+375440000003': 18 },
    customerByPhone: {
      // The incident: a comma (and worse) in a customer's name.
      '+375440000001': { firstName: 'Пётр "Петя"', lastName: 'Иванов, ООО; Рога|Копыта' },
      '+375440000003': { fullName: `${'Очень длинное имя '.repeat(10)}\n\u0007конец` },
    },
    modules: {
      'fleet-telephony': {
        code: 'fleet-telephony',
        integrations: {
          telephony: {
            additionalCodes: [
              { userId: 18, code: '151' },
              { userId: 19, code: '152' },
            ],
          },
        },
      },
    },
  });
  const crm = await fake.listen();
  const rc = { enabled: true, domain: crm, api_key: KEY, client_id: CLIENT_ID, user_extensions: { '18': '151' } };
  await sql`insert into enterprises (number, name, host_token, integrations_config) values ('201', 'Shop', ${TOKEN}, ${sql.json({ retailcrm: rc })})`;
  odd = createServer((req, res) => {
    oddRequests += 1;
    oddMode(res, req);
  });
  await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
  const oddUrl = `http://127.0.0.1:${(odd.address() as { port: number }).port}`;
  const downUrl = `http://127.0.0.1:${await freePort()}`;
  for (const [n, domain] of [
    ['202', oddUrl],
    ['203', downUrl],
  ] as const) {
    const settings = {
      enabled: true,
      domain,
      api_key: KEY,
      client_id: `${n}bbccddeeff00112233445566778899`,
      user_extensions: { '18': '151' },
    };
    await sql`insert into enterprises (number, name, host_token, integrations_config) values (${n}, 'Odd', ${`host-token-${n}`}, ${sql.json({ retailcrm: settings })})`;
  }
  const config = loadRetailCrmConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    RETAILCRM_TIMEOUT_MS: '3000',
    RETAILCRM_RETRY_MIN_MS: '10',
    ASTERISK_URL: 'http://127.0.0.1:9',
  });
  app = await buildApp({ sql, config, logger: false });
});
afterAll(async () => {
  odd?.closeAllConnections();
  odd?.close();
  await app?.close();
  await fake?.close();
  await sql?.end();
  await db?.drop();
});
beforeEach(() => fake.setFaults({}));

const lookup = (body: Record<string, unknown>, token = TOKEN) =>
  app.inject({
    method: 'POST',
    url: '/api/callevent/getcustomerdata',
    headers: { token },
    payload: { UniqueId: '1709276405.101', TrunkId: '0001363', LoadDialPlan: '1', ...body },
  });

describe('getcustomerdata', () => {
  it('regression (the comma incident): the name carries no comma, quote, semicolon or pipe; the manager route is set', async () => {
    const res = await lookup({ Phone: '375440000001' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ Name: 'Иванов ООО Рога Копыта Пётр Петя', DialPlan: 'mngr151_0001363_1' });
    // What the dialplan does with it: split on commas and pipes — one field each.
    expect(res.json().Name.split(/[,|;]/)).toHaveLength(1);
  });

  it('caps the name at 64 characters and removes newlines and control characters', async () => {
    const { Name } = (await lookup({ Phone: '+375440000003' })).json();
    expect(Array.from(Name as string).length).toBeLessThanOrEqual(64);
    expect(Name).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it('maps the manager by RetailCRM code when our map has no entry; LoadDialPlan 0 → no route', async () => {
    expect((await lookup({ Phone: '375440000002' })).json()).toEqual({ Name: '', DialPlan: 'mngr152_0001363_1' });
    expect((await lookup({ Phone: '375440000002', LoadDialPlan: '0' })).json()).toEqual({ Name: '', DialPlan: null });
  });

  it('no responsible manager → DialPlan null; a trunk that would break the pattern → DialPlan null', async () => {
    expect((await lookup({ Phone: '375449999999' })).json()).toEqual({ Name: '', DialPlan: null });
    expect((await lookup({ Phone: '375440000001', TrunkId: '0001363,1' })).json().DialPlan).toBeNull();
  });

  it('caches 60 s per (enterprise, phone): a repeat does not ask RetailCRM', async () => {
    await lookup({ Phone: '375440000002' });
    const before = fake.state.requests;
    await lookup({ Phone: '375440000002' });
    expect(fake.state.requests).toBe(before);
  });

  it('fails open on 503 and on a wrong token', async () => {
    fake.setFaults({ fail503Next: 10 });
    const res = await lookup({ Phone: '375440000111' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ Name: '', DialPlan: null });
    const bad = await lookup({ Phone: '375440000111' }, 'nope');
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toEqual({ Name: '', DialPlan: null });
  });

  it('fails open within 1.5 s when RetailCRM hangs', async () => {
    fake.setFaults({ hangNext: 5, hangMs: 5000 });
    const t0 = Date.now();
    const res = await lookup({ Phone: '375440000222' });
    expect(res.json()).toEqual({ Name: '', DialPlan: null });
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  describe('fails open within 1.5 s whatever RetailCRM does: {"Name":"","DialPlan":null}', () => {
    const json =
      (status: number, body: string, type = 'application/json') =>
      (res: ServerResponse) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      };
    it.each<[string, string, ((res: ServerResponse) => void) | null]>([
      ['down (connection refused)', '203', null],
      ['503', '202', json(503, '{"success":false,"errorMsg":"Service Unavailable"}')],
      [
        'slow (answers after 2.5 s)',
        '202',
        (res) => void setTimeout(() => json(200, '{"success":true,"manager":{"id":18,"code":"151"}}')(res), 2_500),
      ],
      ['garbage: HTML', '202', json(200, '<html><body>502 Bad Gateway</body></html>', 'text/html')],
      ['garbage: cut-off JSON', '202', json(200, '{"success":true,"manager":{"id":1')],
      ['garbage: binary', '202', json(200, '\u0000\u00ff\u0001,;|"', 'application/octet-stream')],
      ['garbage: a JSON string', '202', json(200, '"Иванов, ООО"')],
      ['garbage: wrong shape', '202', json(200, '{"success":true,"manager":"151","customer":["Иванов, ООО"]}')],
      [
        'garbage: no success field',
        '202',
        json(200, '{"manager":{"id":18,"code":"151; Hangup"},"customer":{"fullName":42}}'),
      ],
    ])('RetailCRM %s', async (_label, enterprise, mode) => {
      if (mode) oddMode = mode;
      const asked = oddRequests;
      const t0 = Date.now();
      const res = await lookup(
        { Phone: `37544${enterprise}00${String(Math.floor(Math.random() * 90) + 10)}` },
        `host-token-${enterprise}`,
      );
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ Name: '', DialPlan: null });
      // It did go to RetailCRM (so this is RetailCRM's failure, not an early exit).
      if (mode) expect(oddRequests).toBeGreaterThan(asked);
    });
  });

  it('fails open within 1.5 s when our own database hangs on the token lookup', async () => {
    await sql.begin(async (tx) => {
      // Every read of enterprises now waits for this transaction.
      await tx`lock table enterprises in access exclusive mode`;
      const t0 = Date.now();
      // Given up after 3 s so that a regression fails here instead of deadlocking on the lock.
      const res = await Promise.race([
        lookup({ Phone: '375440000001' }),
        new Promise<null>((r) => setTimeout(() => r(null), 3_000)),
      ]);
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(res!.statusCode).toBe(200);
      expect(res!.json()).toEqual({ Name: '', DialPlan: null });
    });
    // The lock gone, the same request gets the real answer.
    expect((await lookup({ Phone: '375440000001' })).json().DialPlan).toBe('mngr151_0001363_1');
  });

  it('fails open on garbage input', async () => {
    for (const body of [{ Phone: 'DROP TABLE' }, { Phone: null }, { Phone: '1'.repeat(100) }]) {
      expect((await lookup(body)).json()).toEqual({ Name: '', DialPlan: null });
    }
  });

  it('pure rules: safeAnswer and dialPlanFor never let through what the dialplan cannot split', () => {
    expect(dialPlanFor('151', 'ab_c')).toBeNull();
    expect(dialPlanFor('1511111', '1')).toBeNull();
    expect(safeAnswer('a,b"c\'d;e|f\ng\r\th', 'mngr151_1_1; Hangup')).toEqual({
      Name: 'a b c d e f g h',
      DialPlan: null,
    });
    expect(customerNameOf({ firstName: 'Ann', lastName: 'Lee' })).toBe('Lee Ann');
  });
});

describe('manager status', () => {
  const status = (q: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/retailcrm/status',
      payload: new URLSearchParams(q).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  it('stores free/busy/dinner/break with time and exposes it to other services', async () => {
    expect((await status({ clientId: CLIENT_ID, userId: '18', code: '151', status: 'dinner' })).statusCode).toBe(200);
    const get = await app.inject({
      method: 'GET',
      url: `/retailcrm/status?${new URLSearchParams({ clientId: CLIENT_ID, userId: '19', status: 'busy' })}`,
    });
    expect(get.statusCode).toBe(200);
    const list = await app.inject({ method: 'GET', url: '/internal/retailcrm/manager-status?enterprise=201' });
    expect(list.json().managers).toEqual([
      { userId: 18, code: '151', status: 'dinner', changedAt: expect.any(String) },
      { userId: 19, code: null, status: 'busy', changedAt: expect.any(String) },
    ]);
  });

  it('401 for an unknown clientId (never the enterprise number); 400 for an unknown status', async () => {
    expect((await status({ clientId: '201', userId: '18', status: 'free' })).statusCode).toBe(401);
    expect((await status({ clientId: CLIENT_ID, userId: '18', status: 'asleep' })).statusCode).toBe(400);
  });

  it("the fake sends RetailCRM's status callback", async () => {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    fake.state.modules['fleet-telephony'] = {
      code: 'fleet-telephony',
      clientId: CLIENT_ID,
      integrations: { telephony: { changeUserStatusUrl: `${url}/retailcrm/status` } },
    };
    const res = await fake.changeStatus({ userId: 18, status: 'free' });
    expect(res.status).toBe(200);
    const [row] = await sql`select status from retailcrm_manager_status where enterprise = '201' and user_id = 18`;
    expect(row!.status).toBe('free');
  });
});

describe('make-call without a working asterisk service', () => {
  const click = () =>
    app.inject({
      method: 'GET',
      url: `/retailcrm/make-call?${new URLSearchParams({ clientId: CLIENT_ID, userId: '18', phone: '+375440000001' })}`,
    });

  it('no host configured → 422 saying so', async () => {
    const res = await click();
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('RCRM_NO_ASTERISK_HOST');
  });

  it('the asterisk service unreachable → 502 with the reason (never a 500 or a hang), journalled', async () => {
    await sql`insert into asterisk_hosts (enterprise, host, username, key_file, host_key, originate_secret)
              values ('201', '127.0.0.1', 'root', '/nonexistent', 'ssh-ed25519 AAAA', ${'ab'.repeat(24)})`;
    const res = await click();
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'RCRM_ORIGINATE_FAILED' });
    expect(res.json().message).toBe('Не удалось начать звонок: сервис звонков недоступен, попробуйте через минуту');
    const [log] =
      await sql`select ok, status_code, error from integration_logs where kind = 'make-call' order by id desc limit 1`;
    expect(log).toMatchObject({
      ok: false,
      status_code: 502,
      error: expect.stringMatching(/^RCRM_ORIGINATE_FAILED: .*asterisk service unreachable \(ECONNREFUSED\)/),
    });
  });
});
