// The per-host breaker against a real sshd, for the failures other than "host down"
// (makecallexternal.test.ts): a host presenting another key and a host too slow to answer. Each gives
// a clear error within its time limit, repeated failures open the breaker (later calls fail at once,
// nothing tried), and once the host is fixed the breaker closes again after its reset time. A request
// cut short by its own deadline says nothing about the host and never opens it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
const LIMIT_MS = 1500; // connect and command timeouts of createWorld
const RESET_MS = 1000; // ASTERISK_BREAKER_RESET_MS of createWorld

describe.runIf(enabled)('the per-host breaker', () => {
  let host: TestHost;
  let w: World;
  const call = () => makeCall(w.app, { code: '151', phone: '375440000001' });
  const breaker = async () => {
    const h = await w.app.inject({ method: 'GET', url: '/health' });
    return (h.json().hosts as Array<{ host: string; breaker: string }>).find(
      (x) => x.host === `${host.user}@127.0.0.1:${host.port}`,
    )?.breaker;
  };
  /** Two failures (ASTERISK_BREAKER_VOLUME 2) open it: the third call is refused at once. */
  async function expectOpensAfterTwo(code: string, within: number): Promise<{ statusCode: number; message: string }> {
    const failures = [];
    for (let i = 0; i < 2; i++) {
      const t0 = Date.now();
      const res = await call();
      expect(res.json().code).toBe(code);
      expect(Date.now() - t0).toBeLessThan(within);
      failures.push({ statusCode: res.statusCode, message: res.json().message as string });
    }
    const open = await call();
    expect(open.statusCode).toBe(502);
    expect(open.json()).toMatchObject({ success: false, code: 'AST_HOST_CIRCUIT_OPEN' });
    expect(open.json().message).toMatch(/failed repeatedly: not trying for up to 1 s \(circuit open\)/);
    expect(open.json().response_time_ms).toBeLessThan(200);
    expect(await breaker()).toBe('open');
    return failures[0]!;
  }
  async function expectClosesWhenFixed() {
    await host.clearCalls();
    await new Promise((r) => setTimeout(r, RESET_MS + 100));
    const back = await call();
    expect(back.statusCode).toBe(200);
    expect((await host.calls()).slice(0, 2)).toEqual([CHANNELS, ORIGINATE_151]);
    expect(await breaker()).toBe('closed');
  }

  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(async () => {
    await host?.dispose();
  });
  beforeEach(async () => {
    await host.behave({});
    await host.clearCalls();
    w = await createWorld(host, { ASTERISK_BREAKER_VOLUME: '2' });
  });
  afterEach(async () => {
    await w?.close();
  });

  it('host key mismatch (the host now presents another key): 502 naming both fingerprints, fast; opens; closes once the host presents the pinned key again', async () => {
    await host.presentOtherKey(true);
    try {
      const first = await expectOpensAfterTwo('AST_HOST_KEY_MISMATCH', LIMIT_MS);
      expect(first.statusCode).toBe(502);
      expect(first.message).toMatch(
        /host key mismatch for [\w-]+@127\.0\.0\.1:\d+: expected SHA256:\S+, the host presented SHA256:\S+; refusing to connect/,
      );
      expect(await host.calls()).toEqual([]); // nothing ever ran on the impostor
    } finally {
      await host.presentOtherKey(false);
    }
    await expectClosesWhenFixed();
  });

  it('host slow (commands past the command timeout): 504 within the limit; opens; closes once the host answers in time', async () => {
    await host.behave({ slowSeconds: 4 });
    const first = await expectOpensAfterTwo('AST_HOST_COMMAND_TIMEOUT', LIMIT_MS + 1000);
    expect(first).toEqual({
      statusCode: 504,
      message: expect.stringMatching(/did not finish the command within 1500 ms$/),
    });
    await host.behave({});
    await expectClosesWhenFixed();
  });
});

describe.runIf(enabled)('a request deadline is not a verdict on the host', () => {
  let host: TestHost;
  let w: World;
  let silent: Server;
  beforeAll(async () => {
    host = await startTestHost();
    w = await createWorld(host, { ASTERISK_BREAKER_VOLUME: '2', ASTERISK_REQUEST_DEADLINE_MS: '600' });
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
    silent?.close();
  });

  it('a connect still going when the deadline (600 ms here, below the 1.5 s connect timeout) ends → 504 AST_REQUEST_DEADLINE at the deadline; the breaker stays closed', async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, {
      ...hostRow(host),
      port: (silent.address() as { port: number }).port,
    });
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await makeCall(w.app, { code: '151', phone: '375440000001' });
      expect(res.statusCode).toBe(504);
      expect(res.json()).toMatchObject({ code: 'AST_REQUEST_DEADLINE' });
      expect(res.json().message).toMatch(/no SSH connection before the request's deadline; the command was not sent/);
      expect(Date.now() - t0).toBeLessThan(600 + 300);
      // The abandoned connect runs out its own 1.5 s alone (a caller joining it would hear its
      // timeout, which is a verdict on the host): the next request starts a connect of its own.
      await new Promise((r) => setTimeout(r, LIMIT_MS));
    }
    const h = await w.app.inject({ method: 'GET', url: '/health' });
    expect((h.json().hosts as Array<{ breaker: string }>).every((x) => x.breaker === 'closed')).toBe(true);
  });
});
