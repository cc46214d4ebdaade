import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createSql, type Sql } from './client.ts';
import { withDatabase } from './embedded.ts';
import { migrate } from './migrate.ts';

/** Env variable through which vitest's global setup hands the test server's URL to test files. */
export const TEST_SERVER_ENV = 'FLEET_TEST_PG_URL';
const TEMPLATE = 'fleet_template';

/**
 * Where a test keeps a PostgreSQL cluster of its own: `<FLEET_DATA_DIR, default .data>/<name>`,
 * absolute (relative paths from the working directory, as `pnpm start` resolves FLEET_DATA_DIR).
 * Name it per process (`test-pg-${process.pid}`) so parallel runs do not share a cluster.
 */
export function testDataDir(name: string, env: Record<string, string | undefined> = process.env): string {
  return resolve(env.FLEET_DATA_DIR || '.data', name);
}

/** Creates the migrated template database that every test database is cloned from. */
export async function prepareTemplate(serverUrl: string): Promise<void> {
  const admin = createSql(serverUrl, { max: 1 });
  try {
    await admin.unsafe(`drop database if exists ${TEMPLATE}`);
    await admin.unsafe(`create database ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  const tpl = createSql(withDatabase(serverUrl, TEMPLATE), { max: 1 });
  try {
    await migrate(tpl);
  } finally {
    await tpl.end();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A throwaway, migrated database of its own for one test file (cloned from the template, ~50 ms).
 * @throws Error when not run under the vitest global setup (no FLEET_TEST_PG_URL).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env[TEST_SERVER_ENV];
  if (!serverUrl) throw new Error(`${TEST_SERVER_ENV} is not set: run tests through vitest's global setup`);
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createSql(serverUrl, { max: 1 });
  try {
    await admin.unsafe(`create database ${name} template ${TEMPLATE}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    name,
    async drop() {
      const a = createSql(serverUrl, { max: 1 });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
