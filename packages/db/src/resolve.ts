import { resolve } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer, withDatabase } from './embedded.ts';
import { createSql } from './client.ts';

export interface ResolvedDatabase {
  url: string;
  /** Set when this call started an embedded server; stop it on shutdown. */
  embedded?: EmbeddedServer;
}

/**
 * DATABASE_URL when set; otherwise starts the embedded server under `FLEET_DATA_DIR/pg` (default
 * `.data/pg`) on `FLEET_PG_PORT` (default 54329) and returns the URL of its `fleet` database.
 */
export async function resolveDatabase(
  env: Record<string, string | undefined> = process.env,
  onNote: (line: string) => void = () => {},
): Promise<ResolvedDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  const dataDir = resolve(env.FLEET_DATA_DIR ?? '.data', 'pg');
  const port = Number(env.FLEET_PG_PORT ?? 54329);
  // Server output is not echoed; notes (a relocated cluster) are.
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port,
    onLog: (l) => !/^\d{4}-\d\d-\d\d /.test(l) && onNote(l),
  });
  const admin = createSql(embedded.url, { max: 1 });
  try {
    const [row] = await admin`select 1 as ok from pg_database where datname = 'fleet'`;
    if (!row) await admin.unsafe('create database fleet');
  } finally {
    await admin.end();
  }
  return { url: withDatabase(embedded.url, 'fleet'), embedded };
}
