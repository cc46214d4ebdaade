// Arrange helpers: a throwaway database, one enterprise whose host is a real sshd on loopback
// (./sshd.ts), and the service built through buildApp exactly like server.ts does.
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadAsteriskConfig } from '../src/index.ts';
import type { TestHost } from '../../../test/support/sshd.ts';

export const ENTERPRISE = '367';
export const SECRET = '5ec7e70123456789abcdef0123456789abcdef0123456789';

export interface World {
  db: TestDatabase;
  sql: Sql;
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface HostRow {
  port: number;
  /** The account on the host (the test sshd's own, TestHost.user). */
  username: string;
  key_file: string;
  host_key: string;
  asterisk_path?: string;
  set_nextcall?: boolean;
  originate_context?: string;
  outbound_context?: string;
}

export async function insertHost(sql: Sql, enterprise: string, secret: string, h: HostRow): Promise<void> {
  await sql`
    insert into asterisk_hosts (enterprise, host, port, username, key_file, host_key, asterisk_path, set_nextcall,
                                originate_context, outbound_context, originate_secret)
    values (${enterprise}, '127.0.0.1', ${h.port}, ${h.username}, ${h.key_file}, ${h.host_key}, ${h.asterisk_path ?? 'asterisk'},
            ${h.set_nextcall ?? false}, ${h.originate_context ?? 'web-originate'}, ${h.outbound_context ?? 'inoffice'}, ${secret})
    on conflict (enterprise) do update set port = excluded.port, username = excluded.username, key_file = excluded.key_file, host_key = excluded.host_key,
      asterisk_path = excluded.asterisk_path, set_nextcall = excluded.set_nextcall,
      originate_context = excluded.originate_context, outbound_context = excluded.outbound_context`;
}

export const hostRow = (h: TestHost, over: Partial<HostRow> = {}): HostRow => ({
  port: h.port,
  username: h.user,
  key_file: h.userKeyFile,
  host_key: h.hostKey,
  ...over,
});

export async function createWorld(host: TestHost, env: Record<string, string> = {}): Promise<World> {
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 5 });
  await sql`insert into enterprises (number, name, host_token, phone_region) values (${ENTERPRISE}, 'Acme', 'host-token-367', 'BY')`;
  await insertHost(sql, ENTERPRISE, SECRET, hostRow(host));
  const config = loadAsteriskConfig({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    ASTERISK_COMMAND_TIMEOUT_MS: '1500',
    ASTERISK_CONNECT_TIMEOUT_MS: '1500',
    ASTERISK_BREAKER_RESET_MS: '1000',
    ASTERISK_CONFIRM_WAIT_MS: '1500',
    ASTERISK_CONFIRM_LATER_MS: '1500',
    ASTERISK_CONFIRM_POLL_MS: '100',
    ...env,
  });
  const app = await buildApp({ sql, config, logger: false });
  return {
    db,
    sql,
    app,
    async close() {
      await app.close();
      await sql.end();
      await db.drop();
    },
  };
}

export function makeCall(app: FastifyInstance, q: Record<string, string>, method: 'GET' | 'POST' = 'GET') {
  const query = new URLSearchParams({ clientId: SECRET, ...q }).toString();
  return method === 'GET'
    ? app.inject({ method, url: `/api/makecallexternal?${query}` })
    : app.inject({
        method,
        url: '/api/makecallexternal',
        payload: query,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
}

/** What the service runs first: a look at the channels already up (only a new one confirms). */
export const CHANNELS = ['-rx', 'core show channels concise'];
export const ORIGINATE_151 = [
  '-rx',
  'channel originate Local/151@web-originate application Dial Local/375440000001@inoffice',
];
