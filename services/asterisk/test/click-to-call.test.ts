// End to end, each part a real server on loopback: the strict RetailCRM fake performs a manager's
// click (GET and POST) → /retailcrm/make-call → /api/makecallexternal → SSH → the asterisk stand-in,
// whose recorded argv must be exactly the expected lines (originate; nextcall and the client's name
// from RetailCRM, sanitised, for hosts that want them). Also: a failed click does not hold the 5 s
// window, and a slow host comes back to RetailCRM as the asterisk service's reason within its timeout.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@fleet/db';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import { createClickWorld, type ClickWorld } from './click-world.ts';
import { hostRow, insertHost, SECRET } from './fixtures.ts';

const enabled = sshdAvailable();
/** Originate lines only: background confirmations (core show channels) interleave. */
const originates = (calls: string[][]) => calls.filter((c) => c[1]!.startsWith('channel originate'));

describe.runIf(enabled)('click-to-call from RetailCRM to the host', () => {
  let db: TestDatabase;
  let host: TestHost;
  let w: ClickWorld;
  beforeAll(async () => {
    db = await createTestDatabase();
    host = await startTestHost();
    w = await createClickWorld(db.url, host, {
      // The client's name as RetailCRM stores it: the comma incident's name, and worse.
      fake: {
        customerByPhone: { '+375447777777': { lastName: 'Иванов, ООО; "Рога|Копыта"', firstName: 'Пётр $(reboot)' } },
      },
    });
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
    await db?.drop();
  });
  beforeEach(async () => {
    await host.behave({});
    await host.clearCalls();
    await insertHost(w.sql, '367', SECRET, hostRow(host));
  });

  it('GET click with the manager code → exactly the originate line on the host, 200 to RetailCRM', async () => {
    const res = await w.fake.click({ userId: 18, phone: '+375 (44) 000-00-01', method: 'GET' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ success: true, from_ext: '151', to_phone: '375440000001' });
    expect(originates(await host.calls())).toEqual([
      ['-rx', 'channel originate Local/151@web-originate application Dial Local/375440000001@inoffice'],
    ]);
    const [rec] = await w.sql`select requested_by, extension, phone from originates order by id desc limit 1`;
    expect(rec).toEqual({ requested_by: 'crm:18', extension: '151', phone: '375440000001' });
    const [log] =
      await w.sql`select kind, ok, status_code, request from integration_logs where kind = 'make-call' order by id desc limit 1`;
    expect(log).toMatchObject({ kind: 'make-call', ok: true, status_code: 200 });
    expect(JSON.stringify(log!.request)).not.toContain('c1d2e3f4'); // the clientId is a secret
  });

  it('POST form click without a code → the extension mapped to the user', async () => {
    const res = await w.fake.click({ userId: 19, code: null, phone: '8 029 123-45-67', method: 'POST' });
    expect(res.status).toBe(200);
    expect(originates(await host.calls())).toEqual([
      ['-rx', 'channel originate Local/152@web-originate application Dial Local/375291234567@inoffice'],
    ]);
  });

  it('repeated clicks by the same user on the same number within 5 s start one call', async () => {
    const clicks = await Promise.all([1, 2, 3].map(() => w.fake.click({ userId: 18, phone: '+375 29 765-43-21' })));
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);
    const again = await w.fake.click({ userId: 18, phone: '+375297654321', method: 'POST' });
    expect(again.status).toBe(200);
    expect(originates(await host.calls())).toEqual([
      ['-rx', 'channel originate Local/151@web-originate application Dial Local/375297654321@inoffice'],
    ]);
  });

  it('a host failure reaches RetailCRM as 502 with the reason, journalled; the retry within 5 s really calls', async () => {
    await host.behave({ exitCode: 1 });
    const res = await w.fake.click({ userId: 19, phone: '+375 44 111-11-11' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({
      code: 'RCRM_ORIGINATE_FAILED',
      reason: 'AST_ASTERISK_UNAVAILABLE',
      message: 'Не удалось начать звонок: телефонная станция не работает',
    });
    const [log] =
      await w.sql`select ok, status_code, error from integration_logs where kind = 'make-call' order by id desc limit 1`;
    expect(log).toMatchObject({
      ok: false,
      status_code: 502,
      error: expect.stringContaining('Unable to connect to remote asterisk'),
    });

    await host.behave({});
    const retry = await w.fake.click({ userId: 19, phone: '+375 44 111-11-11' });
    expect(retry.status).toBe(200);
    expect(JSON.parse(retry.body)).not.toHaveProperty('repeated');
    const line = ['-rx', 'channel originate Local/152@web-originate application Dial Local/375441111111@inoffice'];
    expect(originates(await host.calls())).toEqual([line, line]); // the failed attempt and the retry
    // Now the call started: a third click within the window is the same call.
    const third = await w.fake.click({ userId: 19, phone: '+375 44 111-11-11' });
    expect(JSON.parse(third.body)).toMatchObject({ repeated: true });
    expect(originates(await host.calls())).toHaveLength(2);
  });

  it("a host whose dialplan reads nextcall gets the number and the client's RetailCRM name, sanitised, before the originate", async () => {
    await insertHost(w.sql, '367', SECRET, hostRow(host, { set_nextcall: true }));
    const res = await w.fake.click({ userId: 18, phone: '+375 44 777-77-77', method: 'POST' });
    expect(res.status).toBe(200);
    expect((await host.calls()).filter((c) => !c[1]!.startsWith('core show'))).toEqual([
      ['-rx', 'database put extcall nextcall_151 375447777777'],
      ['-rx', 'database put extcall nextname_151 Иванов..ООО..Рога..Копыта..Пётр..reboot'],
      ['-rx', 'channel originate Local/151@web-originate application Dial Local/375447777777@inoffice'],
    ]);
    // A client RetailCRM has no name for: the number stands in (never the previous client's name).
    await host.clearCalls();
    expect((await w.fake.click({ userId: 18, phone: '+375 44 888-88-88' })).status).toBe(200);
    expect((await host.calls()).find((c) => c[1]!.startsWith('database put extcall nextname_'))).toEqual([
      '-rx',
      'database put extcall nextname_151 375448888888',
    ]);
  });
});

describe.runIf(enabled)("a slow host within RetailCRM's patience", () => {
  let db: TestDatabase;
  let host: TestHost;
  let w: ClickWorld;
  beforeAll(async () => {
    db = await createTestDatabase();
    host = await startTestHost();
    // retailcrm gives the asterisk service 3 s; the host's commands take 4 s, under its own 10 s limit.
    w = await createClickWorld(db.url, host, { retailcrmEnv: { MAKE_CALL_TIMEOUT_MS: '3000' } });
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
    await db?.drop();
  });

  it('RetailCRM hears the asterisk service\'s reason (504, the deadline) within make-call\'s timeout, not "unavailable"', async () => {
    await host.behave({ slowSeconds: 4 });
    const t0 = Date.now();
    const res = await w.fake.click({ userId: 18, phone: '+375 44 000-00-01' });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(res.status).toBe(504);
    const body = JSON.parse(res.body);
    expect(body.code).toBe('RCRM_ORIGINATE_FAILED');
    // The manager's reason and the code; the host's detail only in the journal (issue 15.3).
    expect(body).toMatchObject({
      reason: 'AST_REQUEST_DEADLINE',
      message: 'Не удалось начать звонок: телефонная станция не ответила вовремя, попробуйте ещё раз',
    });
    const [log] =
      await w.sql`select ok, status_code, error from integration_logs where kind = 'make-call' order by id desc limit 1`;
    expect(log).toMatchObject({ ok: false, status_code: 504 });
    expect(log!.error).toMatch(
      /^RCRM_ORIGINATE_FAILED \(AST_REQUEST_DEADLINE\): the call could not be started: [\w-]+@127\.0\.0\.1:\d+ did not finish the command within \d+ ms \(what was left of the request's deadline\)$/,
    );
    expect(originates(await host.calls())).toEqual([]); // the first command (the look at the channels) never finished
  });
});
