// End to end, each part a real server on loopback: the strict RetailCRM fake performs a manager's
// click (GET and POST) → /retailcrm/make-call → /api/makecallexternal → SSH → the asterisk stand-in,
// whose recorded argv must be exactly the expected originate line.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@fleet/db';
import { startTestHost, sshdAvailable, type TestHost } from './sshd.ts';
import { createClickWorld, type ClickWorld } from './click-world.ts';

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
    w = await createClickWorld(db.url, host);
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
    await db?.drop();
  });
  beforeEach(async () => {
    await host.behave({});
    await host.clearCalls();
  });

  it('GET click with the manager code → exactly the originate line on the host, 200 to RetailCRM', async () => {
    const res = await w.fake.click({ userId: 18, phone: '+375 (44) 000-00-01', method: 'GET' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ success: true, from_ext: '151', to_phone: '375440000001' });
    expect(originates(await host.calls())).toEqual([['-rx', 'channel originate Local/151@web-originate application Dial Local/375440000001@inoffice']]);
    const [rec] = await w.sql`select requested_by, extension, phone from originates order by id desc limit 1`;
    expect(rec).toEqual({ requested_by: 'crm:18', extension: '151', phone: '375440000001' });
    const [log] = await w.sql`select kind, ok, status_code, request from integration_logs where kind = 'make-call' order by id desc limit 1`;
    expect(log).toMatchObject({ kind: 'make-call', ok: true, status_code: 200 });
    expect(JSON.stringify(log!.request)).not.toContain('c1d2e3f4'); // the clientId is a secret
  });

  it('POST form click without a code → the extension mapped to the user', async () => {
    const res = await w.fake.click({ userId: 19, code: null, phone: '8 029 123-45-67', method: 'POST' });
    expect(res.status).toBe(200);
    expect(originates(await host.calls())).toEqual([['-rx', 'channel originate Local/152@web-originate application Dial Local/375291234567@inoffice']]);
  });

  it('repeated clicks by the same user on the same number within 5 s start one call', async () => {
    const clicks = await Promise.all([1, 2, 3].map(() => w.fake.click({ userId: 18, phone: '+375 29 765-43-21' })));
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);
    const again = await w.fake.click({ userId: 18, phone: '+375297654321', method: 'POST' });
    expect(again.status).toBe(200);
    expect(originates(await host.calls())).toEqual([['-rx', 'channel originate Local/151@web-originate application Dial Local/375297654321@inoffice']]);
  });

  it('a host failure reaches RetailCRM as 502 with the reason, journalled', async () => {
    await host.behave({ exitCode: 1 });
    const res = await w.fake.click({ userId: 19, phone: '+375 44 111-11-11' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).message).toContain('Unable to connect to remote asterisk');
    const [log] = await w.sql`select ok, status_code from integration_logs where kind = 'make-call' order by id desc limit 1`;
    expect(log).toEqual({ ok: false, status_code: 502 });
  });
});
