// The SQL of a leased queue over one table. The table follows a convention: a bigint `id`, `status`
// ('pending' | 'done' | 'dead'), `attempts`, `last_error`, a column that holds the next attempt's time
// and a column that holds the lease (the same one for the outbox: a leased row is simply not due).
// The spec's strings are SQL the caller wrote (identifiers and fixed conditions), never input: every
// value goes as a parameter, and the caller's per-claim filter or extra assignments come as postgres.js
// fragments, whose values are parameters too.
import type { postgres, Sql } from '@fleet/db';
import { createDoneMarks, type DoneMarks } from './marks.ts';

export type Fragment = postgres.Fragment;

export interface TableSpec {
  /** The table (trusted identifier). */
  table: string;
  /** Select list of a claim's result (trusted SQL) over `t` (the leased row) and `c` (claimExtras). */
  returning: string;
  /** When a row may be claimed (trusted SQL over the alias `q`), ordering rules included. */
  due: string;
  /** Claim order (trusted SQL over `q`), e.g. `q.id`. */
  order: string;
  /** Extra columns computed before the lease is taken (trusted, over `q`), read as `c.<name>`. */
  claimExtras?: string;
  /** The lease column: holds "leased until". */
  lease: string;
  /** The column of the next attempt's time (default `next_attempt_at`). */
  nextAttempt?: string;
  /** Extra assignments (trusted) written with a done mark, e.g. `delivered_at = now()`. */
  doneSet?: string;
  /** Extra assignments (trusted) written with a dead mark. */
  deadSet?: string;
}

export interface LeasedTableOptions {
  /** How long a claim or renew keeps a row from other holders, ms (rounded up to whole ms). */
  leaseMs: number;
  /** Done marks wait this long for company before one statement writes them all, ms (default 3). */
  markWindowMs?: number;
  /** A failed done-mark flush: logged by the caller, retried while the lease lasts. */
  onMarkError: (err: unknown, ids: string[]) => void;
}

export interface LeasedTable<Row> {
  /**
   * Leases up to `n` due rows (`for update skip locked`: two holders never get the same row; a row
   * whose lease ran out is due again) and returns them in claim order. `where`: a filter of this claim
   * over `q` (e.g. one lane); `busy`: ids excluded (rows the caller still works).
   */
  claim(o: { n: number; where?: Fragment; busy?: string[] }): Promise<Row[]>;
  /** Extends the lease of `ids` by leaseMs from now (a long wait before the work can go on). */
  renew(ids: string[]): Promise<void>;
  /** Gives the lease of `ids` back: due at once for any holder. */
  release(ids: string[]): Promise<void>;
  /**
   * Done, coalesced: marks of rows finishing within markWindowMs go in one statement. Resolves when
   * written; rejects when the lease ran out before a write succeeded (the row is worked again).
   */
  done(id: string): Promise<void>;
  /**
   * Back to the queue: `id` failed (attempts + 1, last_error = `error`), it and `alsoIds` (rows that
   * must not overtake it) are due again in `afterSec` seconds, lease given back. `set`: extra
   * assignments for these rows (a fragment; its values are parameters).
   */
  retry(id: string, o: { afterSec: number; error: string; alsoIds?: string[]; set?: Fragment }): Promise<void>;
  /**
   * Dead for good with `error` as last_error, lease given back. `then`: a statement run in the same
   * command after the mark (`with d as (update …) <then>`), e.g. a dead letter's insert.
   */
  dead(id: string, error: string, then?: Fragment): Promise<void>;
  /** Writes pending done marks now (idle); resolves when written or queued for a retry. */
  flush(): Promise<void>;
  /** At stop: writes pending done marks once more and gives up those that still fail (leases run out). */
  close(): Promise<void>;
}

/** Creates the queue's statements over `spec` on the pool `sql` (see TableSpec for the convention). */
export function createLeasedTable<Row extends object>(
  sql: Sql,
  spec: TableSpec,
  o: LeasedTableOptions,
): LeasedTable<Row> {
  // Fragments are made per statement, never here: building an app touches no database (the OpenAPI
  // generator builds call-intake on a pool that refuses every call).
  const t = () => sql(spec.table);
  const lease = () => sql(spec.lease);
  const nextAttemptColumn = spec.nextAttempt ?? 'next_attempt_at';
  const nextAttempt = () => sql(nextAttemptColumn);
  const leaseSec = Math.ceil(o.leaseMs) / 1000;
  // Giving a lease back clears a lease column of its own; a lease kept in the due time (the outbox)
  // is given back by the due time a retry writes anyway.
  const leaseOff = () => (spec.lease === nextAttemptColumn ? sql`` : sql`, ${lease()} = null`);
  const extra = (set: string | undefined) => (set ? sql.unsafe(`, ${set}`) : sql``);
  const marks: DoneMarks = createDoneMarks({
    write: (ids) =>
      sql`update ${t()} set status = 'done' ${extra(spec.doneSet)} where id = any(${ids}::bigint[]) and status = 'pending'`.then(
        () => {},
      ),
    windowMs: o.markWindowMs ?? 3,
    giveUpMs: o.leaseMs,
    onError: o.onMarkError,
  });

  return {
    async claim({ n, where, busy = [] }) {
      return (await sql<Row[]>`
        with c as (
          select q.id ${spec.claimExtras ? sql.unsafe(`, ${spec.claimExtras}`) : sql``} from ${t()} q
          where (${sql.unsafe(spec.due)}) and ${where ?? sql`true`} and not (q.id = any(${busy}::bigint[]))
          order by ${sql.unsafe(spec.order)} limit ${n} for update of q skip locked)
        update ${t()} t set ${lease()} = now() + make_interval(secs => ${leaseSec})
        from c where t.id = c.id
        returning ${sql.unsafe(spec.returning)}`) as unknown as Row[];
    },
    async renew(ids) {
      await sql`update ${t()} set ${lease()} = now() + make_interval(secs => ${leaseSec}) where id = any(${ids}::bigint[])`;
    },
    async release(ids) {
      const due = spec.lease === nextAttemptColumn ? sql`now()` : sql`null`;
      await sql`update ${t()} set ${lease()} = ${due} where id = any(${ids}::bigint[])`;
    },
    done: (id) => marks.add(id),
    async retry(id, { afterSec, error, alsoIds = [], set }) {
      const ids = [id, ...alsoIds.filter((x) => x !== id)];
      await sql`update ${t()} set attempts = attempts + case when id = ${id} then 1 else 0 end,
        last_error = case when id = ${id} then ${error} else last_error end,
        ${set ? sql`${set},` : sql``} ${nextAttempt()} = now() + make_interval(secs => ${afterSec}) ${leaseOff()}
        where id = any(${ids}::bigint[])`;
    },
    async dead(id, error, then) {
      const mark = sql`update ${t()} set status = 'dead', last_error = ${error} ${leaseOff()} ${extra(spec.deadSet)} where id = ${id}`;
      await (then ? sql`with d as (${mark}) ${then}` : mark);
    },
    flush: () => marks.flush(),
    close: () => marks.close(),
  };
}
