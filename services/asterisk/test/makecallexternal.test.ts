// /api/makecallexternal against a real sshd: the exact command line on the host, confirmation,
// the originate record, and every way a host can fail (refused, key mismatch, down, slow) answered
// with a reason within the time limits — plus the breaker opening and closing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { startTestHost, sshdAvailable, type TestHost } from './sshd.ts';
import { createWorld, ENTERPRISE, hostRow, insertHost, makeCall, ORIGINATE_151, SECRET, type World } from './fixtures.ts';

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
    expect(body).toMatchObject({ success: true, status: 'confirmed', enterprise_number: ENTERPRISE, from_ext: '151', to_phone: '375440000001' });
    expect(typeof body.response_time_ms).toBe('number');
    const calls = await host.calls();
    expect(calls[0]).toEqual(ORIGINATE_151);
    expect(calls.slice(1).every((c) => c.join(' ') === '-rx core show channels concise')).toBe(true);
    // The originate and its confirmation ran in one long-lived shell on the host (one parent process).
    expect(new Set(await host.parents()).size).toBe(1);
    const [rec] = await w.sql`select * from originates where correlation_id = ${body.correlation_id}`;
    expect(rec).toMatchObject({ enterprise: ENTERPRISE, extension: '151', phone: '375440000001', requested_by: 'telegram:5550001', status: 'confirmed' });
    expect(rec!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('POST form works the same, and a national number is dialled internationally', async () => {
    const res = await makeCall(w.app, { code: '151', phone: '8 (044) 000-00-01' }, 'POST');
    expect(res.statusCode).toBe(200);
    expect((await host.calls())[0]).toEqual(ORIGINATE_151);
  });

  it('puts nextcall first when the host dialplan wants it, and uses the per-host binary path', async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { set_nextcall: true, asterisk_path: host.binary }));
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(200);
    const calls = await host.calls();
    expect(calls.slice(0, 2)).toEqual([['-rx', 'database put extcall nextcall_151 375440000001'], ORIGINATE_151]);
  });

  it('answers accepted when the channel does not show in time; the record is settled later', async () => {
    await host.behave({ showChannel: false });
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.json()).toMatchObject({ success: true, status: 'accepted' });
    const id = res.json().correlation_id;
    await expect.poll(async () => (await w.sql`select status from originates where correlation_id = ${id}`)[0]!.status, { timeout: 6000 }).toBe('unconfirmed');
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
    expect(res.json().message).toMatch(/host key mismatch .* expected SHA256:\S+, the host presented SHA256:\S+; refusing to connect/);
    expect(await host.calls()).toEqual([]);
  });

  it('host slow: 504 within the command timeout (1.5 s here), never a hang', async () => {
    await host.behave({ slowSeconds: 4 });
    const t0 = Date.now();
    const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
    expect(res.statusCode).toBe(504);
    expect(res.json().code).toBe('AST_HOST_COMMAND_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1500 + 1000);
    const [rec] = await w.sql`select status from originates order by id desc limit 1`;
    expect(rec!.status).toBe('unknown');
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
    const mine = (hs: Array<{ host: string }>) => hs.find((x) => x.host === `root@127.0.0.1:${host.port}`);
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
