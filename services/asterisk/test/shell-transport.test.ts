// The host pool's long-lived shells (packages/asterisk-host/src/shell.ts) against the real sshd: the
// host runs exactly what an exec channel would run and its answers map the same; one shell serves
// many commands; a slow command or a dead shell costs only that shell; output imitating the framing
// cannot confuse it; a host whose account has a forced command gets exec channels instead.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Socket } from 'node:net';
import {
  createHostPool,
  execWithDeadline,
  nextCallCommand,
  openConnection,
  originateCommand,
  showChannelsCommand,
  showVersionCommand,
  type HostPool,
  type HostTarget,
} from '@fleet/asterisk-host';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';

const enabled = sshdAvailable();
const TIMEOUT_MS = 1500;

describe.runIf(enabled)('host pool: persistent shells over the real sshd', () => {
  let host: TestHost;
  let pool: HostPool;
  let target: HostTarget;
  let forced: HostTarget;
  const originate = (binary = host.binary) =>
    originateCommand(binary, {
      extension: '151',
      number: '375440000001',
      originateContext: 'web-originate',
      outboundContext: 'inoffice',
    });
  const ORIGINATE_ARGV = [
    '-rx',
    'channel originate Local/151@web-originate application Dial Local/375440000001@inoffice',
  ];
  const stats = () => pool.stats().find((s) => s.host === `${host.user}@127.0.0.1:${host.port}`)!;
  /** The exec path as before this transport: one exec channel for the command, on its own connection. */
  async function viaExec(command: string) {
    const ssh = await openConnection(target, { connectTimeoutMs: TIMEOUT_MS });
    try {
      return await execWithDeadline(ssh, command, TIMEOUT_MS, 'reference');
    } finally {
      ssh.dispose();
    }
  }
  const answer = (r: { stdout: string; stderr: string }) => [r.stdout, r.stderr].filter(Boolean).join('\n');

  beforeAll(async () => {
    host = await startTestHost();
    target = {
      host: '127.0.0.1',
      port: host.port,
      username: host.user,
      keyFile: host.userKeyFile,
      hostKey: host.hostKey,
    };
    forced = { ...target, keyFile: host.forcedKeyFile };
  });
  afterAll(async () => {
    await host?.dispose();
  });
  beforeEach(async () => {
    pool = createHostPool({
      connectTimeoutMs: TIMEOUT_MS,
      commandTimeoutMs: TIMEOUT_MS,
      breaker: { volumeThreshold: 100 },
    });
    await host.behave({});
    await host.clearCalls();
  });
  afterEach(async () => {
    await pool.close();
  });

  it('the connection turns Nagle off on its socket (TCP_NODELAY: no delayed-ACK waits on small packets)', async () => {
    const spy = vi.spyOn(Socket.prototype, 'setNoDelay');
    try {
      const ssh = await openConnection(target, { connectTimeoutMs: TIMEOUT_MS });
      const sock = (ssh.connection as unknown as { _sock: Socket })._sock;
      expect(spy.mock.contexts.some((ctx, i) => ctx === sock && spy.mock.calls[i]![0] === true)).toBe(true);
      ssh.dispose();
    } finally {
      spy.mockRestore();
    }
  });

  it('runs many commands one after another in ONE shell, recording exactly the lines an exec channel records', async () => {
    const commands = [
      nextCallCommand(host.binary, '151', '375440000001'),
      originate(),
      showChannelsCommand(host.binary),
      showVersionCommand('asterisk'),
    ];
    for (const c of commands) await viaExec(c);
    const byExec = await host.calls();
    await host.clearCalls();

    const results = [];
    for (const c of commands) results.push(await pool.exec(target, c));
    for (let i = 0; i < 60; i++)
      expect(await pool.exec(target, showVersionCommand(host.binary))).toMatchObject({
        code: 0,
        stdout: 'Asterisk 22.10.1 built by test @ sshd-harness',
      });

    const calls = await host.calls();
    expect(calls.slice(0, 4)).toEqual(byExec);
    expect(calls.slice(0, 2)).toEqual([['-rx', 'database put extcall nextcall_151 375440000001'], ORIGINATE_ARGV]);
    expect(calls).toHaveLength(64);
    expect(results.map((r) => [r.code, r.stdout.split('\n')[0]])).toEqual([
      [0, 'Updated database successfully'],
      [0, ''],
      [
        0,
        expect.stringMatching(
          /^Local\/151@web-originate-[0-9a-f]{8};2!web-originate!s!1!Ring!Dial!Local\/x!!!3!0!!1700000000\.1$/,
        ),
      ],
      [0, 'Asterisk 22.10.1 built by test @ sshd-harness'],
    ]);
    expect(new Set(await host.parents()).size).toBe(1); // every invocation a child of the same sh
    expect(stats()).toMatchObject({ transport: 'shell', shells: 1, connected: true });
  });

  it('maps output and exit status as the exec path does: originate output, asterisk down (1), binary missing (127)', async () => {
    await host.behave({ originateOutput: 'Usage: channel originate <tech/data> application <appname> [appdata]\n' });
    const [refusedExec, refusedShell] = [await viaExec(originate()), await pool.exec(target, originate())];
    expect(refusedShell).toMatchObject({
      code: refusedExec.code,
      stdout: 'Usage: channel originate <tech/data> application <appname> [appdata]',
    });
    expect(answer(refusedShell)).toBe(answer(refusedExec));

    await host.behave({ exitCode: 1 });
    const [downExec, downShell] = [await viaExec(originate()), await pool.exec(target, originate())];
    expect(downShell.code).toBe(1);
    expect(downExec.code).toBe(1);
    // stderr merged into the answer, as the service reads it (stdout + stderr)
    expect(answer(downShell)).toBe(answer(downExec));
    expect(answer(downShell)).toContain('Unable to connect to remote asterisk');

    const missing = originate('/opt/nowhere/asterisk');
    const [missingExec, missingShell] = [await viaExec(missing), await pool.exec(target, missing)];
    expect(missingExec.code).toBe(127);
    expect(missingShell.code).toBe(127);
    expect(stats()).toMatchObject({ transport: 'shell', shells: 1 });
  });

  it('output imitating the framing (marker-shaped lines, exit statuses) is just output; the shell carries on', async () => {
    const fake = [
      'before',
      'fleet-end-00000000000000000000000000000000 0',
      '',
      'fleet-end-ffffffffffffffffffffffffffffffff 127',
      "printf '\\n%s %d\\n' fleet-end-$RANDOM $?",
      'after',
    ].join('\n');
    await host.behave({ originateOutput: `${fake}\n` });
    const r = await pool.exec(target, originate());
    expect(r).toMatchObject({ code: 0, stdout: fake });
    await host.behave({});
    expect(await pool.exec(target, showVersionCommand(host.binary))).toMatchObject({
      code: 0,
      stdout: 'Asterisk 22.10.1 built by test @ sshd-harness',
    });
    expect(new Set(await host.parents()).size).toBe(1);
  });

  it('a command past its deadline → AST_HOST_COMMAND_TIMEOUT within the limit; its shell is closed and the next command gets a new one', async () => {
    await pool.exec(target, showVersionCommand(host.binary));
    await host.behave({ slowSeconds: 4 });
    const t0 = Date.now();
    await expect(pool.exec(target, originate())).rejects.toMatchObject({
      code: 'AST_HOST_COMMAND_TIMEOUT',
      statusCode: 504,
    });
    expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 1000);
    expect(stats()).toMatchObject({ shells: 0, connected: true });
    await host.behave({});
    expect(await pool.exec(target, showVersionCommand(host.binary))).toMatchObject({ code: 0 });
    const parents = await host.parents();
    expect(parents).toHaveLength(3);
    expect(parents[2]).not.toBe(parents[0]);
    expect(stats()).toMatchObject({ shells: 1, transport: 'shell' });
  });

  it('a shell that dies is replaced', async () => {
    await pool.exec(target, showVersionCommand(host.binary));
    const [sh] = await host.parents();
    process.kill(sh!, 'SIGKILL');
    await expect.poll(() => stats().shells, { timeout: 3000 }).toBe(0);
    expect(await pool.exec(target, showVersionCommand(host.binary))).toMatchObject({ code: 0 });
    const parents = await host.parents();
    expect(parents[1]).not.toBe(sh);
    expect(stats()).toMatchObject({ shells: 1, transport: 'shell', connected: true });
  });

  it('concurrent commands get a shell each (up to the per-host limit) and answers are not crossed', async () => {
    const numbers = Array.from({ length: 12 }, (_, i) => `3754400000${String(10 + i)}`);
    const results = await Promise.all(numbers.map((n) => pool.exec(target, nextCallCommand(host.binary, '151', n))));
    expect(results.every((r) => r.code === 0 && r.stdout === 'Updated database successfully')).toBe(true);
    expect((await host.calls()).map((c) => c[1]).sort()).toEqual(
      numbers.map((n) => `database put extcall nextcall_151 ${n}`).sort(),
    );
    expect(stats().shells).toBeLessThanOrEqual(4); // ASTERISK_HOST_CONCURRENCY default
    expect(new Set(await host.parents()).size).toBe(stats().shells);
  });

  it('a host whose account has a forced command: the shell is refused once, then exec channels run the same lines', async () => {
    const commands = [
      nextCallCommand(host.binary, '151', '375440000001'),
      originate(),
      showVersionCommand(host.binary),
    ];
    const results = [];
    for (let i = 0; i < 3; i++) for (const c of commands) results.push(await pool.exec(forced, c));
    expect(results.map((r) => r.code)).toEqual(Array(9).fill(0));
    expect(results[0]!.stdout).toBe('Updated database successfully');
    const calls = await host.calls();
    expect(calls).toHaveLength(9);
    expect(calls.slice(0, 2)).toEqual([['-rx', 'database put extcall nextcall_151 375440000001'], ORIGINATE_ARGV]);
    // The shell was asked for once on this connection; nothing else was refused or written to it.
    const refused = await host.refused();
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^printf '%s%s\\n' [0-9a-f]{16} [0-9a-f]{16}; exec \/bin\/sh$/);
    expect(new Set(await host.parents()).size).toBe(9); // a session per command
    const f = pool.stats().find((s) => s.transport === 'exec');
    expect(f).toMatchObject({ shells: 0, connected: true });
    // Answers map the same over the fallback: originate output is output, exit 1 is exit 1.
    await host.behave({ exitCode: 1 });
    const down = await pool.exec(forced, originate());
    expect(down.code).toBe(1);
    expect(answer(down)).toContain('Unable to connect to remote asterisk');
  });
});

describe('sshd availability (shell transport)', () => {
  it('is required under CI (the tests above fail rather than skip)', () => {
    if (process.env.CI) expect(enabled).toBe(true);
  });
});
