import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql } from './client.ts';

/** The project's migrations folder (`sql/` at the top of the repository). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../sql/', import.meta.url));

/** Arbitrary constant key of the advisory lock that serialises migration runs across processes. */
const MIGRATION_LOCK_KEY = 7_427_001;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies `NNN_name.sql` files from `dir` in numeric order, each in its own transaction, under a
 * session advisory lock so that services starting at once never race (PITFALLS.md: no common runner
 * locks by itself). A changed checksum of an applied file is an error: migrations are append-only.
 * @throws Error naming the file whose SQL failed or whose checksum changed.
 */
export async function migrate(sql: Sql, dir: string = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d{3,}_[\w-]+\.sql$/.test(f)).sort();
  const reserved = await sql.reserve();
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await reserved`
      create table if not exists schema_migrations (
        version text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
    const done = new Map(
      (await reserved<{ version: string; checksum: string }[]>`select version, checksum from schema_migrations`).map(
        (r) => [r.version, r.checksum],
      ),
    );
    const applied: string[] = [];
    for (const file of files) {
      const text = await readFile(`${dir}/${file}`, 'utf8');
      const checksum = createHash('sha256').update(text).digest('hex');
      const known = done.get(file);
      if (known) {
        if (known !== checksum) throw new Error(`migration ${file} was changed after it was applied`);
        continue;
      }
      try {
        // A reserved connection has no sql.begin(): the transaction is spelled out.
        await reserved`begin`;
        await reserved.unsafe(text);
        await reserved`insert into schema_migrations (version, checksum) values (${file}, ${checksum})`;
        await reserved`commit`;
      } catch (err) {
        await reserved`rollback`.catch(() => {});
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
    }
    return { applied, alreadyApplied: done.size };
  } finally {
    await reserved`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    reserved.release();
  }
}
