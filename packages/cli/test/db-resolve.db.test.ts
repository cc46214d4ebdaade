// How the CLI finds its database without DATABASE_URL: join the embedded server `pnpm start` runs
// (starting a second one on the same data directory would fail), start one only when none answers.
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql, TEST_SERVER_ENV } from '@fleet/db';
import { openFleetDatabase, reachRunningEmbedded } from '../src/index.ts';

const serverUrl = new URL(process.env[TEST_SERVER_ENV]!);
// The vitest setup runs an embedded server with the embedded credentials unless FLEET_TEST_DATABASE_URL
// points elsewhere; only then can it stand in for the server `pnpm start` runs.
const isEmbedded =
  serverUrl.username === 'fleet' && serverUrl.password === 'fleet-local' && serverUrl.hostname === '127.0.0.1';

function listen(onConnection: (s: import('node:net').Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((ok) => {
    const server = createServer(onConnection);
    server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as { port: number }).port }));
  });
}

afterAll(async () => {
  if (!isEmbedded) return;
  const admin = createSql(serverUrl.toString(), { max: 1 });
  await admin.unsafe('drop database if exists fleet with (force)').finally(() => admin.end());
});

describe('finding the embedded database', () => {
  it('nothing listening → undefined (the caller starts the server)', async () => {
    const { server, port } = await listen(() => {});
    await new Promise((r) => server.close(r));
    expect(await reachRunningEmbedded({ FLEET_PG_PORT: String(port) })).toBeUndefined();
  });

  it('a port that answers but is not the embedded PostgreSQL → a clear error', async () => {
    const { server, port } = await listen((s) => {
      s.on('error', () => {}); // the client resets the connection when it gives up
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    try {
      await expect(reachRunningEmbedded({ FLEET_PG_PORT: String(port) })).rejects.toThrow(
        new RegExp(`port ${port} answers but not as the fleet's embedded PostgreSQL`),
      );
    } finally {
      server.close();
    }
  });

  it.skipIf(!isEmbedded)(
    'a running embedded server is joined: fleet database created, migrated, nothing started',
    async () => {
      const env = { FLEET_PG_PORT: serverUrl.port, FLEET_DATA_DIR: '/nonexistent-so-starting-would-fail' };
      const url = await reachRunningEmbedded(env);
      expect(url).toBe(`postgres://fleet:fleet-local@127.0.0.1:${serverUrl.port}/fleet`);
      const db = await openFleetDatabase(env);
      try {
        const [row] = await db.sql`select count(*)::int as n from schema_migrations`;
        expect(row!.n).toBeGreaterThan(0);
      } finally {
        await db.close();
      }
    },
  );
});
