// Vitest global setup: one real PostgreSQL server for the whole run (FLEET_TEST_DATABASE_URL when
// given, otherwise an embedded one under <FLEET_DATA_DIR, default .data>/test-pg-<pid>), a migrated
// template database, and its URL handed to test files, which each clone a throwaway database of their
// own (createTestDatabase).
//
// Several projects (db, e2e) name this file, and vitest runs each project's setup in the same
// process: the server is shared through globalThis and reference-counted, so the last teardown stops
// it. (Before, the second setup replaced the first server, whose orphaned process kept vitest alive.)
import { rmSync } from 'node:fs';
import { prepareTemplate, startEmbeddedPostgres, testDataDir, TEST_SERVER_ENV, type EmbeddedServer } from '@fleet/db';
import { freePort } from '../support/net.ts';

interface Shared {
  refs: number;
  ready: Promise<{ url: string; server?: EmbeddedServer; dataDir?: string }>;
}
const KEY = Symbol.for('fleet.test.postgres');
const registry = globalThis as unknown as Record<symbol, Shared | undefined>;

async function start(): Promise<{ url: string; server?: EmbeddedServer; dataDir?: string }> {
  const external = process.env.FLEET_TEST_DATABASE_URL;
  if (external) {
    await prepareTemplate(external);
    return { url: external };
  }
  const dataDir = testDataDir(`test-pg-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
  await prepareTemplate(server.url);
  // server.dataDir differs from dataDir when the cluster had to be relocated (private parent folder).
  return { url: server.url, server, dataDir: server.dataDir };
}

export async function setup(): Promise<void> {
  const shared = (registry[KEY] ??= { refs: 0, ready: start() });
  shared.refs++;
  const { url } = await shared.ready;
  process.env[TEST_SERVER_ENV] = url;
}

export async function teardown(): Promise<void> {
  const shared = registry[KEY];
  if (!shared || --shared.refs > 0) return;
  registry[KEY] = undefined;
  const { server, dataDir } = await shared.ready;
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
