// Vitest global setup: one real PostgreSQL server for the whole run (DATABASE_URL when given,
// otherwise an embedded one under .data/test-pg), a migrated template database, and its URL handed to
// test files, which each clone a throwaway database of their own (createTestDatabase).
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { prepareTemplate, startEmbeddedPostgres, TEST_SERVER_ENV, type EmbeddedServer } from '@fleet/db';

let server: EmbeddedServer | undefined;
let dataDir: string | undefined;

export async function setup(): Promise<void> {
  let url = process.env.FLEET_TEST_DATABASE_URL;
  if (!url) {
    // One data directory per run: parallel runs (developers, helpers, CI) never share a cluster.
    dataDir = resolve(`.data/test-pg-${process.pid}`);
    rmSync(dataDir, { recursive: true, force: true });
    server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    url = server.url;
  }
  await prepareTemplate(url);
  process.env[TEST_SERVER_ENV] = url;
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}
