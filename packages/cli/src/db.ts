import { connect } from 'node:net';
import { createSql, migrate, resolveDatabase, withDatabase, type EmbeddedServer } from '@fleet/db';
import type { FleetConnection } from './run-fleet.ts';

// Credentials and defaults of the embedded server, as packages/db/src/embedded.ts and resolve.ts
// set them (they are not exported there). Local-only, not secrets.
const EMBEDDED_USER = 'fleet';
const EMBEDDED_PASSWORD = 'fleet-local';
const DEFAULT_PG_PORT = 54329;
const PROBE_TIMEOUT_MS = 5000;

/** True when something accepts TCP connections on 127.0.0.1:`port` within `timeoutMs`. */
export function isPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * URL of the `fleet` database on an embedded server that is already running (`pnpm start`), or
 * undefined when nothing listens on FLEET_PG_PORT. Creates the `fleet` database when missing, as
 * resolveDatabase does. Starting a second server on the same data directory would fail, so the CLI
 * must join a running one.
 * @throws Error when the port answers but not as the fleet's embedded PostgreSQL.
 */
export async function reachRunningEmbedded(env: Record<string, string | undefined>): Promise<string | undefined> {
  const port = Number(env.FLEET_PG_PORT ?? DEFAULT_PG_PORT);
  if (!(await isPortOpen(port))) return undefined;
  const serverUrl = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;
  const admin = createSql(serverUrl, { max: 1, applicationName: 'fleet-cli' });
  let timer: NodeJS.Timeout | undefined;
  try {
    // Something that is not PostgreSQL may accept the connection and never answer: postgres.js
    // would keep reconnecting, so the probe gets a deadline of its own.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    });
    const [row] = await Promise.race([admin`select 1 as ok from pg_database where datname = 'fleet'`, deadline]);
    if (!row) await admin.unsafe('create database fleet');
  } catch (e) {
    throw new Error(
      `port ${port} answers but not as the fleet's embedded PostgreSQL (${(e as Error).message}); set DATABASE_URL or FLEET_PG_PORT`,
    );
  } finally {
    clearTimeout(timer);
    await admin.end({ timeout: 0 });
  }
  return withDatabase(serverUrl, 'fleet');
}

/**
 * Opens the database the services use: DATABASE_URL; else the embedded server `pnpm start` runs;
 * else starts the embedded server itself (resolveDatabase). Runs the migrations (idempotent, under an
 * advisory lock). `close` ends the pool and stops a server this call started.
 */
export async function openFleetDatabase(env: Record<string, string | undefined>): Promise<FleetConnection> {
  let url = env.DATABASE_URL || (await reachRunningEmbedded(env));
  let embedded: EmbeddedServer | undefined;
  if (!url) ({ url, embedded } = await resolveDatabase(env));
  const sql = createSql(url, { max: 2, applicationName: 'fleet-cli' });
  const close = async () => {
    try {
      await sql.end({ timeout: 5 });
    } finally {
      await embedded?.stop();
    }
  };
  try {
    await migrate(sql);
  } catch (e) {
    await close();
    throw e;
  }
  return { sql, close };
}
