// /api/makecallexternal against a real sshd: the exact command lines on the host (nextcall, the
// sanitised display name, non-default contexts), confirmation by a NEW channel only, the originate
// record, the request deadline, and every way a host can fail (refused, key mismatch, down, slow)
// answered with a reason within the time limits in the predecessor's reply shape — plus the breaker
// opening and closing (more in breaker.test.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import {
  CHANNELS,
  createWorld,
  ENTERPRISE,
  hostRow,
  insertHost,
  makeCall,
  ORIGINATE_151,
  SECRET,
  type World,
} from './fixtures.ts';

const enabled = sshdAvailable();
let host: TestHost;
let w: World;

describe.runIf(enabled)('makecallexternal over SSH', () => {
  beforeAll(async () => {
    host = await startTestHost();
    w = await createWorld(host);
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
  });
  beforeEach(async () => {
    await host.behave({});
    await host.clearCalls();
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host));
  });

  it('runs exactly the originate line, confirms it from core show channels, and records it', async () => {
    const res = await makeCall(w.app, { code: '151', phone: '+375 (44) 000-00-01', requestedBy: 'telegram:5550001' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      success: true,
      status: 'confirmed',
      enterprise_number: ENTERPRISE,
      from_ext: '151',
      to_phone: '375440000001',
    });
    expect(typeof body.response_time_ms).toBe('number');
    const calls = await host.calls();
    expect(calls.slice(0, 2)).toEqual([CHANNELS, ORIGINATE_151]);
    expect(calls.slice(2).length).toBeGreaterThan(0);
    expect(calls.slice(2).every((c) => c.join(' ') === '-rx core show channels concise')).toBe(true);
    // The originate and its confirmation ran in one long-lived shell on the host (one parent process).
    expect(new Set(await host.parents()).size).toBe(1);
    const [rec] = await w.sql`select * from originates where correlation_id = ${body.correlation_id}`;
    expect(rec).toMatchObject({
      enterprise: ENTERPRISE,
      extension: '151',
      phone: '375440000001',
      requested_by: 'telegram:5550001',
      status: 'confirmed',
    });
    expect(rec!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('POST form works the same, and a national number is dialled internationally', async () => {
    const res = await makeCall(w.app, { code: '151', phone: '8 (044) 000-00-01' }, 'POST');
    expect(res.statusCode).toBe(200);
    expect((await host.calls())[1]).toEqual(ORIGINATE_151);
  });

  it('puts nextcall and nextname first when the host dialplan wants it (the number when no name is known), with the per-host binary path', async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { set_nextcall: true, asterisk_path: host.binary }));
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(200);
    const calls = await host.calls();
    expect(calls.slice(0, 4)).toEqual([
      CHANNELS,
      ['-rx', 'database put extcall nextcall_151 375440000001'],
      // Never a stale name of an earlier client: the number stands in.
      ['-rx', 'database put extcall nextname_151 375440000001'],
      ORIGINATE_151,
    ]);
  });

  it("the display name reaches the host sanitised: getcustomerdata's rule, then only letters, digits and - (words joined by ..), at most 64", async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { set_nextcall: true }));
    const evil = 'Иванов, ООО; "Рога|Копыта"\nПётр-Петя $(reboot) `id` \\x\u0007 <b>';
    const res = await makeCall(w.app, { code: '151', phone: '375440000001', clientName: evil });
    expect(res.statusCode).toBe(200);
    const calls = await host.calls();
    expect(calls.slice(1, 4)).toEqual([
      ['-rx', 'database put extcall nextcall_151 375440000001'],
      ['-rx', 'database put extcall nextname_151 Иванов..ООО..Рога..Копыта..Пётр-Петя..reboot..id..x..b'],
      ORIGINATE_151,
    ]);
    await host.clearCalls();
    const long = await makeCall(w.app, {
      code: '151',
      phone: '375440000002',
      clientName: `${'Константинопольский '.repeat(6)}`,
    });
    expect(long.statusCode).toBe(200);
    const name = (await host.calls())[2]![1]!.replace('database put extcall nextname_151 ', '');
    expect(name).toBe(Array(3).fill('Константинопольский').join('..'));
    expect(Array.from(name).length).toBeLessThanOrEqual(64);
  });

  it('a host that refuses the name line (forced command letting only ASCII lines through) still gets the call', async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { set_nextcall: true, key_file: host.forcedKeyFile }));
    const res = await makeCall(w.app, { code: '151', phone: '375440000001', clientName: 'Иванов Пётр' });
    expect(res.statusCode).toBe(200);
    expect((await host.calls()).slice(0, 3)).toEqual([
      CHANNELS,
      ['-rx', 'database put extcall nextcall_151 375440000001'],
      ORIGINATE_151,
    ]);
    expect(await host.refused()).toContain('asterisk -rx "database put extcall nextname_151 Иванов..Пётр"');
  });

  it('a display name is sent only to hosts whose dialplan reads nextcall (per-host option)', async () => {
    const res = await makeCall(w.app, { code: '151', phone: '375440000001', clientName: 'Иванов Пётр' });
    expect(res.statusCode).toBe(200);
    expect((await host.calls()).slice(0, 2)).toEqual([CHANNELS, ORIGINATE_151]);
    expect(
      (await makeCall(w.app, { code: '151', phone: '375440000001', clientName: 'x'.repeat(501) })).statusCode,
    ).toBe(400);
  });

  it('non-default dialplan contexts: exactly those in the originate line, and the confirmation looks for them', async () => {
    await insertHost(
      w.sql,
      ENTERPRISE,
      SECRET,
      hostRow(host, { originate_context: 'click_out-2', outbound_context: 'from-crm' }),
    );
    const res = await makeCall(w.app, { code: '152', phone: '375440000001' });
    expect(res.json()).toMatchObject({ success: true, status: 'confirmed' });
    expect((await host.calls())[1]).toEqual([
      '-rx',
      'channel originate Local/152@click_out-2 application Dial Local/375440000001@from-crm',
    ]);
  });

  it('an older channel of the same extension still up does not confirm a new originate that never showed', async () => {
    const old = [
      'Local/151@web-originate-0000000a;1!inoffice!375440000009!1!Up!Dial!PJSIP/trunk-00000003!!!3!95!!1700000000.7',
      'Local/151@web-originate-0000000a;2!web-originate!s!1!Up!AppDial!(Outgoing Line)!!!3!95!!1700000000.8',
    ].join('\n');
    await host.behave({ channels: `${old}\n`, showChannel: false });
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.json()).toMatchObject({ success: true, status: 'accepted' });
    const id = res.json().correlation_id;
    await expect
      .poll(async () => (await w.sql`select status from originates where correlation_id = ${id}`)[0]!.status, {
        timeout: 6000,
      })
      .toBe('unconfirmed');
    // The same old channel plus the new one: confirmed.
    await host.behave({ channels: `${old}\n` });
    const again = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(again.json()).toMatchObject({ success: true, status: 'confirmed' });
  });

  it('answers accepted when the channel does not show in time; the record is settled later', async () => {
    await host.behave({ showChannel: false });
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.json()).toMatchObject({ success: true, status: 'accepted' });
    const id = res.json().correlation_id;
    await expect
      .poll(async () => (await w.sql`select status from originates where correlation_id = ${id}`)[0]!.status, {
        timeout: 6000,
      })
      .toBe('unconfirmed');
  });

  it('any output of channel originate is a failure (502 with the host answer)', async () => {
    await host.behave({ originateOutput: 'Usage: channel originate <tech/data> application <appname> [appdata]\n' });
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ success: false, code: 'AST_ORIGINATE_REFUSED' });
    expect(res.json().message).toContain('Usage: channel originate');
    const [rec] = await w.sql`select status, error_code from originates order by id desc limit 1`;
    expect(rec).toEqual({ status: 'failed', error_code: 'AST_ORIGINATE_REFUSED' });
  });

  it('asterisk not running (exit 1) → 502 naming it', async () => {
    await host.behave({ exitCode: 1 });
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('AST_ASTERISK_UNAVAILABLE');
    expect(res.json().message).toContain('Unable to connect to remote asterisk');
  });

  it('a wrong binary path (exit 127) → 502 telling the operator to set the path', async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { asterisk_path: '/opt/nowhere/asterisk' }));
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(502);
    expect(res.json().message).toMatch(/not found on the host at "\/opt\/nowhere\/asterisk"/);
  });

  it('a wrong clientId → 401, nothing executed', async () => {
    const res = await makeCall(w.app, { code: '151', phone: '375440000001', clientId: SECRET.replace(/.$/, '0') });
    expect(res.statusCode).toBe(401);
    expect(await host.calls()).toEqual([]);
  });

  it('host key mismatch: refuses to connect and says so (both fingerprints), nothing executed', async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { host_key: host.otherHostKey }));
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('AST_HOST_KEY_MISMATCH');
    expect(res.json().message).toMatch(
      /host key mismatch .* expected SHA256:\S+, the host presented SHA256:\S+; refusing to connect/,
    );
    expect(await host.calls()).toEqual([]);
  });

  it('host slow: 504 within the command timeout (1.5 s here), never a hang; the originate never sent → failed', async () => {
    await host.behave({ slowSeconds: 4 });
    const t0 = Date.now();
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(504);
    expect(res.json().code).toBe('AST_HOST_COMMAND_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1500 + 1000);
    const [rec] = await w.sql`select status from originates order by id desc limit 1`;
    expect(rec!.status).toBe('failed');
  });

  it('the originate itself slow: 504, and the record says unknown (it may have run)', async () => {
    await host.behave({ slowSeconds: 4, slowOnly: 'channel originate' });
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(504);
    const [rec] = await w.sql`select status, error_code from originates order by id desc limit 1`;
    expect(rec).toEqual({ status: 'unknown', error_code: 'AST_HOST_COMMAND_TIMEOUT' });
  });

  it('the whole request fits in its deadline: commands each within their own limit but too slow together → 504 with the reason, originate never started', async () => {
    // 0.4 s per command; with nextcall: look + nextcall + nextname + originate = 1.6 s > the caller's 1 s.
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { set_nextcall: true }));
    await host.behave({ slowSeconds: 0.4 });
    const t0 = Date.now();
    const res = await makeCall(w.app, { code: '151', phone: '375440000001', deadlineMs: '1000' });
    const took = Date.now() - t0;
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({
      success: false,
      code: 'AST_REQUEST_DEADLINE',
      enterprise_number: ENTERPRISE,
      from_ext: '151',
    });
    expect(res.json().message).toMatch(/request's deadline/);
    expect(took).toBeLessThan(1000 + 300);
    expect((await host.calls()).some((c) => c[1]!.startsWith('channel originate'))).toBe(false);
    const [rec] = await w.sql`select status, error_code from originates order by id desc limit 1`;
    expect(rec).toEqual({ status: 'failed', error_code: 'AST_REQUEST_DEADLINE' });
  });

  it("a caller's deadline is checked: 400 outside 500..60000 ms", async () => {
    for (const d of ['10', '60001', 'soon', '1e4'])
      expect((await makeCall(w.app, { code: '151', phone: '375440000001', deadlineMs: d })).statusCode).toBe(400);
    expect(await host.calls()).toEqual([]);
  });

  it("refusals before the handler come back in the predecessor's shape: 403 for a non-loopback caller, 400/413/415 for bodies", async () => {
    const shape = {
      success: false,
      enterprise_number: null,
      from_ext: null,
      to_phone: null,
      response_time_ms: expect.any(Number),
    };
    const far = await w.app.inject({
      method: 'GET',
      url: `/api/makecallexternal?code=151&phone=375440000001&clientId=${SECRET}`,
      remoteAddress: '10.1.2.3',
    });
    expect(far.statusCode).toBe(403);
    expect(far.json()).toEqual({
      ...shape,
      code: 'AST_FORBIDDEN_ORIGIN',
      message: 'only loopback callers may use /api/makecallexternal',
      manager_reason: expect.any(String),
    });
    const post = (payload: string, type: string) =>
      w.app.inject({ method: 'POST', url: '/api/makecallexternal', payload, headers: { 'content-type': type } });
    const badJson = await post('{"code":', 'application/json');
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ ...shape, code: expect.stringMatching(/^FST_ERR_CTP_/) });
    const big = await post(
      `code=151&phone=375440000001&clientName=${'x'.repeat(20_000)}`,
      'application/x-www-form-urlencoded',
    );
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ ...shape, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    const xml = await post('<code>151</code>', 'text/xml');
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject(shape);
    expect(await host.calls()).toEqual([]);
  });
});

describe.runIf(enabled)('unreachable hosts and the breaker', () => {
  let silent: Server;
  let silentPort: number;
  beforeAll(async () => {
    host = await startTestHost();
    w = await createWorld(host, { ASTERISK_BREAKER_VOLUME: '2' });
    // Accepts TCP and never speaks SSH: a hung host.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
    silent?.close();
  });

  it('a host that never answers the handshake → 504 within the connect timeout', async () => {
    await insertHost(w.sql, '367', SECRET, { ...hostRow(host), port: silentPort });
    const t0 = Date.now();
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(504);
    expect(res.json().code).toBe('AST_HOST_CONNECT_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1500 + 1000);
  });

  it('host down: 502 at once; after repeated failures the breaker opens (no connect attempted), then closes when the host is back', async () => {
    await insertHost(w.sql, '367', SECRET, hostRow(host));
    await host.stop();
    const first = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(first.statusCode).toBe(502);
    expect(first.json().code).toBe('AST_HOST_UNREACHABLE');
    expect(first.json().message).toMatch(/ECONNREFUSED/);
    await makeCall(w.app, { code: '151', phone: '375440000001' });
    const open = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(open.statusCode).toBe(502);
    expect(open.json().code).toBe('AST_HOST_CIRCUIT_OPEN');
    expect(open.json().response_time_ms).toBeLessThan(200);
    const health = await w.app.inject({ method: 'GET', url: '/health' });
    const mine = (hs: Array<{ host: string }>) => hs.find((x) => x.host === `${host.user}@127.0.0.1:${host.port}`);
    expect(mine(health.json().hosts)).toMatchObject({ breaker: 'open' });

    await host.start();
    await new Promise((r) => setTimeout(r, 1100)); // ASTERISK_BREAKER_RESET_MS
    const back = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(back.statusCode).toBe(200);
    const health2 = await w.app.inject({ method: 'GET', url: '/health' });
    expect(mine(health2.json().hosts)).toMatchObject({ breaker: 'closed', connected: true });
  });
});

describe('sshd availability', () => {
  it('is required under CI (the tests above fail rather than skip)', () => {
    if (process.env.CI) expect(enabled).toBe(true);
  });
});
