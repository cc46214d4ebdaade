// A real OpenSSH sshd on a loopback port, with generated host and user keys and an `asterisk`
// stand-in that records its arguments and can be told to print output, fail, be slow, or not show the
// originated channel. The tests that use it FAIL, never skip, when CI is set and sshd is missing.
// A second user key is restricted by a forced command (authorized_keys `command=`) that runs only
// `<asterisk> -rx "<cli>"` lines, as some hosts restrict the fleet's account: no shell there.
// The host's account is its own (TEST_USER: /bin/sh, an empty home), not root: root's login scripts on
// these machines run `pyenv init` for every session (0.45 s each, 1.7 s for four at once), which made
// "concurrent commands get a shell each" time out on a fresh CI machine (issue 12).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

export const SSHD = '/usr/sbin/sshd';

/** True when sshd can be used here; throws when CI is set and it cannot (a skipped test proves nothing). */
export function sshdAvailable(): boolean {
  const ok = existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen');
  if (!ok && process.env.CI)
    throw new Error(
      `${SSHD} or ssh-keygen is missing but CI is set: install openssh-server (pnpm test does: test/setup/system-deps.ts)`,
    );
  return ok;
}

/** The test host's account: its own, with /bin/sh and an empty home (no login scripts to run). */
export const TEST_USER = 'fleet-test-host';
const TEST_HOME = '/var/lib/fleet-test-host';

interface Account {
  name: string;
  uid: number;
  gid: number;
}

const idOf = (name: string): Account | undefined => {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { stdio: 'pipe' }).toString().trim());
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
};

/**
 * The account the test sshd logs its clients in as. As root (CI, these machines): TEST_USER, created
 * once per machine with /bin/sh, an empty home and a non-locked password field (`*`: sshd without PAM
 * refuses a `!` locked account). Test files start hosts in parallel, so a failed useradd is
 * re-checked (another worker may have created it). Not root: the current user (it cannot add one).
 */
function testAccount(): Account {
  const me = userInfo();
  if (me.uid !== 0) return { name: me.username, uid: me.uid, gid: me.gid };
  for (let attempt = 0; ; attempt++) {
    const found = idOf(TEST_USER);
    if (found) {
      mkdirSync(TEST_HOME, { recursive: true, mode: 0o755 });
      chownSync(TEST_HOME, found.uid, found.gid);
      return found;
    }
    try {
      execFileSync(
        'useradd',
        ['--system', '--no-create-home', '--home-dir', TEST_HOME, '--shell', '/bin/sh', '--password', '*', TEST_USER],
        { stdio: 'pipe' },
      );
    } catch (err) {
      if (attempt >= 20)
        throw new Error(`could not create the test host's account ${TEST_USER}: ${(err as Error).message}`);
      execFileSync('sleep', ['0.1']);
    }
  }
}

export interface HostBehaviour {
  /** Printed by `channel originate` (any output means failure). */
  originateOutput?: string;
  /** `channel originate` exits with this and "Unable to connect to remote asterisk" on stderr. */
  exitCode?: number;
  /** Every command sleeps this long first (seconds). */
  slowSeconds?: number;
  /** Whether an originate makes its channel appear in `core show channels concise` (default true). */
  showChannel?: boolean;
  /** Channels already up before any originate (`core show channels concise` lines). */
  channels?: string;
  /** Only commands whose CLI text starts with this are slow (with slowSeconds). */
  slowOnly?: string;
}

export interface TestHost {
  port: number;
  /** The account to log in as (TEST_USER when the tests run as root). */
  user: string;
  /** The pinned entry: `ssh-ed25519 AAAA…`. */
  hostKey: string;
  /** Another valid key, for the mismatch test. */
  otherHostKey: string;
  userKeyFile: string;
  /** A key whose account may run only `<binary> -rx "<cli>"` (a forced command refuses anything else). */
  forcedKeyFile: string;
  /** Absolute path of the stand-in (use as the per-host binary path). */
  binary: string;
  dir: string;
  /** Argument vectors of every stand-in invocation, in order. */
  calls(): Promise<string[][]>;
  clearCalls(): Promise<void>;
  /** When each invocation started (epoch ms, fractional), in order. */
  times(): Promise<number[]>;
  /** The parent pid of each invocation, in order (one long-lived shell = one parent). */
  parents(): Promise<number[]>;
  /** Commands the forced command refused, in order. */
  refused(): Promise<string[]>;
  behave(b: HostBehaviour): Promise<void>;
  /** Restarts sshd presenting the other host key (true: as a reinstalled or impostor host) or its own. */
  presentOtherKey(other: boolean): Promise<void>;
  stop(): Promise<void>;
  /** Starts sshd again on the same port. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

async function waitForPort(port: number, up: boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (open === up) return;
    if (Date.now() > deadline) throw new Error(`sshd port ${port} did not become ${up ? 'open' : 'closed'}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const standIn = (dir: string) => `#!/bin/bash
# asterisk stand-in: records its start (epoch ns), parent pid and argv (unit-separated) as one record
# (record-terminated) appended in ONE write, so that invocations running at once never interleave;
# then behaves as told by files in ${dir}.
D='${dir}'
printf '%s %s %s\\x1e' "$(date +%s%N)" "$PPID" "$(printf '%s\\x1f' "$@")" >> "$D/calls"
if [ -f "$D/slow" ]; then
  if [ ! -f "$D/slow_only" ] || [[ "$2" == "$(cat "$D/slow_only")"* ]]; then sleep "$(cat "$D/slow")"; fi
fi
case "$2" in
  "core show channels concise") [ -f "$D/channels" ] && cat "$D/channels"; exit 0 ;;
  "core show version") echo "Asterisk 22.10.1 built by test @ sshd-harness"; exit 0 ;;
  "database put "*) echo "Updated database successfully"; exit 0 ;;
  "channel originate "*)
    if [ -f "$D/exit" ]; then echo "Unable to connect to remote asterisk (does /var/run/asterisk/asterisk.ctl exist?)" >&2; exit "$(cat "$D/exit")"; fi
    if [ -f "$D/output" ]; then cat "$D/output"; exit 0; fi
    if [ ! -f "$D/nochannel" ]; then
      # A new Local channel pair with an id of its own (the pid: unique while the test runs), added to
      # whatever is up already.
      chan=$(printf '%s' "$2" | cut -d' ' -f3)
      ctx=\${chan#*@}
      printf '%s-%08x;2!%s!s!1!Ring!Dial!Local/x!!!3!0!!1700000000.1\\n' "$chan" "$$" "$ctx" >> "$D/channels"
    fi
    exit 0 ;;
  *) echo "No such command '$2' (type 'core show help $2' for other possible commands)"; exit 0 ;;
esac
`;

const forcedCommand = (dir: string) => `#!/bin/sh
# Forced command of the restricted key: runs \$SSH_ORIGINAL_COMMAND only when it is an Asterisk CLI line.
if printf '%s' "$SSH_ORIGINAL_COMMAND" | grep -Eq '^[A-Za-z0-9_./-]+ -rx "[A-Za-z0-9_ @/.-]+"$'; then
  exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
fi
printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> '${dir}/refused'
echo 'this account may only run asterisk -rx' >&2
exit 1
`;

/** Starts sshd as root with a temporary config (StrictModes no, UsePAM no, keys and pid file in the temp dir). */
export async function startTestHost(): Promise<TestHost> {
  const account = testAccount();
  const dir = await mkdtemp(join(tmpdir(), 'fleet-sshd-'));
  const keygen = (file: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-test', '-f', file]);
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'other_host_ed25519'));
  keygen(join(dir, 'user_ed25519'));
  keygen(join(dir, 'forced_ed25519'));
  const binDir = join(dir, 'bin');
  execFileSync('mkdir', ['-p', binDir]);
  const binary = join(binDir, 'asterisk');
  await writeFile(binary, standIn(dir), { mode: 0o755 });
  const forced = join(dir, 'only-asterisk-rx');
  await writeFile(forced, forcedCommand(dir), { mode: 0o755 });
  await writeFile(
    join(dir, 'authorized_keys'),
    `${await readFile(join(dir, 'user_ed25519.pub'), 'utf8')}command="${forced}",no-pty,no-port-forwarding ${await readFile(join(dir, 'forced_ed25519.pub'), 'utf8')}`,
  );
  await chmod(join(dir, 'authorized_keys'), 0o600);
  const port = await freePort();
  const cfg = join(dir, 'sshd_config');
  await writeFile(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      // Only the test account: a caller that still logs in as root fails at once instead of
      // depending on root's login scripts.
      `AllowUsers ${account.name}`,
      'PermitRootLogin no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // The stand-in is also reachable as plain `asterisk` (the default binary path).
      `SetEnv PATH=${binDir}:/usr/local/bin:/usr/bin:/bin`,
      'MaxStartups 100:30:200',
      'MaxSessions 20',
      // The recovery job fetches the hosts' post logs over SFTP (sshd's built-in server: no binary needed).
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      'UseDNS no',
      'PrintMotd no',
      'PrintLastLog no',
      'PermitUserRC no',
      '',
    ].join('\n'),
  );
  // The account runs the stand-in and appends to its record files: it owns the directory and
  // everything the harness writes into it (sshd, as root, still reads the host keys).
  const own = (path: string) => chownSync(path, account.uid, account.gid);
  const ownAll = (path: string): void => {
    own(path);
    for (const e of readdirSync(path, { withFileTypes: true })) {
      if (e.isDirectory()) ownAll(join(path, e.name));
      else own(join(path, e.name));
    }
  };
  ownAll(dir);
  const pub = (f: string) =>
    execFileSync('cat', [join(dir, f)])
      .toString()
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(' ');
  let proc: ChildProcess | undefined;

  async function start(): Promise<void> {
    // sshd's compiled-in privilege separation directory (Debian creates it only in its init script).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const p = spawn(SSHD, ['-D', '-f', cfg, '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('exit', (code) => {
      if (proc === p) proc = undefined;
      if (code && code !== 0 && code !== 255) process.stderr.write(`sshd exited ${code}: ${stderr}\n`);
    });
    proc = p;
    try {
      await waitForPort(port, true);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${stderr}`);
    }
  }

  async function stop(): Promise<void> {
    const p = proc;
    if (!p) return;
    proc = undefined;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    await waitForPort(port, false);
  }

  const put = async (name: string, value: string | undefined) => {
    const f = join(dir, name);
    if (value === undefined) await unlink(f).catch(() => undefined);
    else {
      await writeFile(f, value);
      own(f);
    }
  };

  /** The stand-in's records: `<epoch ns> <ppid> <arg>\x1f<arg>\x1f…` each ended by \x1e. */
  const records = async () => {
    const raw = await readFile(join(dir, 'calls'), 'utf8').catch(() => '');
    return raw
      .split('\x1e')
      .filter((r) => r !== '')
      .map((r) => {
        const [ns, parent, ...rest] = r.split(' ');
        return {
          at: Number(BigInt(ns!) / 1000n) / 1000,
          parent: Number(parent),
          argv: rest.join(' ').split('\x1f').slice(0, -1),
        };
      });
  };

  await start();
  return {
    port,
    user: account.name,
    hostKey: pub('host_ed25519.pub'),
    otherHostKey: pub('other_host_ed25519.pub'),
    userKeyFile: join(dir, 'user_ed25519'),
    forcedKeyFile: join(dir, 'forced_ed25519'),
    binary,
    dir,
    calls: async () => (await records()).map((r) => r.argv),
    async clearCalls() {
      await put('calls', undefined);
      await put('refused', undefined);
    },
    times: async () => (await records()).map((r) => r.at),
    parents: async () => (await records()).map((r) => r.parent),
    async refused() {
      const raw = await readFile(join(dir, 'refused'), 'utf8').catch(() => '');
      return raw.split('\n').filter(Boolean);
    },
    async behave(b) {
      await put('output', b.originateOutput);
      await put('exit', b.exitCode === undefined ? undefined : String(b.exitCode));
      await put('slow', b.slowSeconds === undefined ? undefined : String(b.slowSeconds));
      await put('nochannel', b.showChannel === false ? '1' : undefined);
      await put('channels', b.channels);
      await put('slow_only', b.slowOnly);
    },
    async presentOtherKey(other) {
      const text = await readFile(cfg, 'utf8');
      await writeFile(
        cfg,
        text.replace(/^HostKey .*$/m, `HostKey ${join(dir, other ? 'other_host_ed25519' : 'host_ed25519')}`),
      );
      await stop();
      await start();
    },
    stop,
    start,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
