// Deleting one table's expired rows in short statements: each statement touches at most `batchRows`
// rows (id walk) or `pages` heap pages (heap walk), commits on its own, and re-checks the row's
// conditions in its WHERE, so a row that changed since it was read (a card reopened, a step claimed)
// is left alone. No statement holds locks for long or bloats one transaction.
import type { Sql } from '@fleet/db';

/**
 * Which rows of one table may go. Table and column names and `finished` are constants of the owning
 * service's source, never input: they are spliced into SQL.
 */
export interface RetentionRule {
  /** The table; also the `table` label of the metrics and log lines. */
  table: string;
  /** Rows whose `age` column is older than this many days may go (0: as soon as it is in the past). */
  days: number;
  /** The timestamptz column the age is measured on (`created_at`, `updated_at`, `expires_at`…). */
  age: string;
  /** SQL condition that a row is finished (a terminal state). Rows failing it stay whatever their age. */
  finished: string;
  /**
   * How rows are found. `{ insertedAt }`: in order of the table's bigint `id`, ending at the first row
   * inserted after the cutoff — for tables whose ids follow insertion time; costs the expired rows
   * only. Omitted: the whole heap in page ranges (TID range scans, PostgreSQL ≥ 14) — for tables
   * without such a key; costs one scan of the table per pass.
   */
  walk?: { insertedAt: string };
  /**
   * Ids (bigint `id`, as text) to keep whatever their age, read once per pass before the walk — e.g.
   * rows a page still shows. Only with the id walk.
   */
  keep?: (sql: Sql) => Promise<string[]>;
}

export interface SweepLimits {
  /** Rows read per id-walk statement (and so deleted per statement at most). */
  batchRows: number;
  /** Heap pages per heap-walk statement. */
  pages: number;
  /** Checked between statements: true ends the sweep early (service shutdown). */
  stopped(): boolean;
}

/** Deletes the expired rows of `rule.table` older than `cutoff`; resolves with how many went. */
export async function sweep(sql: Sql, rule: RetentionRule, cutoff: Date, limits: SweepLimits): Promise<number> {
  return rule.walk ? idWalk(sql, rule, rule.walk.insertedAt, cutoff, limits) : heapWalk(sql, rule, cutoff, limits);
}

async function idWalk(
  sql: Sql,
  rule: RetentionRule,
  insertedAt: string,
  cutoff: Date,
  limits: SweepLimits,
): Promise<number> {
  const table = sql(rule.table);
  const age = sql(rule.age);
  const finished = sql.unsafe(`(${rule.finished})`);
  const keep = rule.keep ? await rule.keep(sql) : [];
  let deleted = 0;
  let cursor: string | null = null;
  while (!limits.stopped()) {
    // Reads a batch in id order (primary key), the whole batch, so a pending row in the middle of old
    // ones is stepped over rather than found again by every statement.
    // `key`, not `id`: an output column named id would make `order by id` sort the text ("10" < "9").
    const rows: { key: string; expired: boolean | null; young: boolean }[] = await sql`
      select id::text as key,
             ${age} < ${cutoff} and ${finished} and id <> all(${keep}::bigint[]) as expired,
             ${sql(insertedAt)} >= ${cutoff} as young
      from ${table}
      where ${cursor === null ? sql`true` : sql`id > ${cursor}::bigint`}
      order by id limit ${limits.batchRows}`;
    if (rows.length === 0) break;
    const ids = rows.filter((r) => r.expired).map((r) => r.key);
    if (ids.length > 0) {
      const done =
        await sql`delete from ${table} where id = any(${ids}::bigint[]) and ${age} < ${cutoff} and ${finished}`;
      deleted += done.count;
    }
    cursor = rows.at(-1)!.key;
    // Everything after a row inserted after the cutoff was inserted after it too (give or take the
    // commit order of concurrent inserts: those few rows wait for the next pass).
    if (rows.length < limits.batchRows || rows.some((r) => r.young)) break;
  }
  return deleted;
}

async function heapWalk(sql: Sql, rule: RetentionRule, cutoff: Date, limits: SweepLimits): Promise<number> {
  const table = sql(rule.table);
  const [size] = await sql<{ pages: number }[]>`
    select (pg_relation_size(${rule.table}::regclass) / current_setting('block_size')::int)::int as pages`;
  let deleted = 0;
  // Pages appended during the pass hold rows younger than the cutoff.
  for (let page = 0; page < (size?.pages ?? 0) && !limits.stopped(); page += limits.pages) {
    const done = await sql`
      delete from ${table}
      where ctid >= ${`(${page},0)`}::tid and ctid < ${`(${page + limits.pages},0)`}::tid
        and ${sql(rule.age)} < ${cutoff} and ${sql.unsafe(`(${rule.finished})`)}`;
    deleted += done.count;
  }
  return deleted;
}
