// @fleet/leased-queue against a real PostgreSQL: two holders never share a row, a lease left by a dead
// holder is taken over once it ran out, retries are scheduled (backoff or an exact Retry-After), dead
// marks carry a statement of their own, and done marks of rows finishing together go in one statement
// — flushed by idle, given up at stop without losing the row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createLeasedTable, retryDelaySec, type TableSpec } from '../src/index.ts';

interface Job {
  id: string;
  lane: string;
  attempts: number;
  reclaimed: boolean;
}

let db: TestDatabase;
let sql: Sql;
let other: Sql;
const statements: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4, debug: (_c, query) => statements.push(query) });
  other = createSql(db.url, { max: 4 });
  await sql`create table jobs (
    id bigserial primary key, lane text not null, status text not null default 'pending',
    attempts integer not null default 0, last_error text, next_attempt_at timestamptz not null default now(),
    lease_until timestamptz, done_at timestamptz)`;
  await sql`create table letters (job bigint not null, why text not null)`;
});
afterAll(async () => {
  await sql.end();
  await other.end();
  await db.drop();
});

/** A card-like queue: a lease column of its own, due rows in id order, takeovers reported. */
const spec = (lane: string): TableSpec => ({
  table: 'jobs',
  returning: 't.id::text as id, t.lane, t.attempts, c.reclaimed',
  // Each test works its own lane, so that tests do not see each other's rows.
  due: `q.lane like '${lane}%' and q.status = 'pending' and q.next_attempt_at <= now() and (q.lease_until is null or q.lease_until < now())`,
  order: 'q.id',
  claimExtras: 'q.lease_until is not null as reclaimed',
  lease: 'lease_until',
  doneSet: 'done_at = now()',
});
const table = (on: Sql, lane: string, leaseMs = 60_000, markWindowMs?: number) =>
  createLeasedTable<Job>(on, spec(lane), { leaseMs, onMarkError: () => {}, ...(markWindowMs ? { markWindowMs } : {}) });

async function insert(lane: string, n: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into jobs (lane) select ${lane} from generate_series(1, ${n}) returning id::text`;
  return rows.map((r) => r.id);
}

const until = async (f: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('claim and lease', () => {
  it('two holders claiming at once never get the same row, and a leased row is nobody else’s', async () => {
    const ids = await insert('excl', 50);
    const a = table(sql, 'excl');
    const b = table(other, 'excl');
    const [ra, rb] = await Promise.all([a.claim({ n: 30 }), b.claim({ n: 30 })]);
    const got = [...ra, ...rb].map((r) => r.id);
    expect(new Set(got).size).toBe(got.length);
    expect(got.every((id) => ids.includes(id))).toBe(true);
    // Whatever is left goes to the next claim; then every row is leased and none is claimable.
    const rest = await b.claim({ n: 50 });
    expect([...got, ...rest.map((r) => r.id)].sort()).toEqual([...ids].sort());
    expect(await a.claim({ n: 50 })).toEqual([]);
    expect(ra.every((r) => !r.reclaimed)).toBe(true);
  });

  it('claims in order, skips the busy ids, and filters by the claim’s own fragment', async () => {
    const ids = await insert('ord-a', 3);
    await insert('ord-b', 3);
    const q = table(sql, 'ord');
    const rows = await q.claim({ n: 10, busy: [ids[0]!], where: sql`q.lane = ${'ord-a'}` });
    expect(rows.map((r) => r.id)).toEqual(ids.slice(1));
  });

  it('takes over a lease its holder never gave back once it ran out, and says so', async () => {
    const ids = await insert('takeover', 2);
    const crashed = table(other, 'takeover', 1000);
    expect((await crashed.claim({ n: 10 })).map((r) => r.id)).toEqual(ids);
    const heir = table(sql, 'takeover', 60_000);
    expect(await heir.claim({ n: 10 })).toEqual([]);
    let taken: Job[] = [];
    await until(async () => (taken = await heir.claim({ n: 10 })).length > 0);
    expect(taken.map((r) => [r.id, r.reclaimed])).toEqual(ids.map((id) => [id, true]));
  });

  it('renews a lease and gives it back on release', async () => {
    const [id] = await insert('renew', 1);
    const q = table(sql, 'renew', 1000);
    await q.claim({ n: 1 });
    await q.renew([id!]);
    const [r] = await sql<{ left: number }[]>`
      select extract(epoch from lease_until - now())::float8 as left from jobs where id = ${id!}`;
    expect(r!.left).toBeGreaterThan(0.5);
    await q.release([id!]);
    expect((await table(other, 'renew').claim({ n: 1 })).map((x) => [x.id, x.reclaimed])).toEqual([[id, false]]);
  });
});

describe('retry and dead', () => {
  it('schedules a retry at exactly Retry-After, or by backoff, and keeps the rows behind it in step', async () => {
    const [first, second] = await insert('retry', 2);
    const q = table(sql, 'retry');
    await q.claim({ n: 2 });
    const backoff = { firstMs: 500, maxMs: 30_000 };
    expect(retryDelaySec(1, backoff, 30)).toBe(30);
    expect(retryDelaySec(3, backoff)).toBe(2);
    expect(retryDelaySec(3, backoff, Number.NaN)).toBe(2);
    await q.retry(first!, { afterSec: retryDelaySec(1, backoff, 30), error: 'gateway 429', alsoIds: [second!] });
    const rows = await sql<
      { id: string; attempts: number; last_error: string | null; wait: number; leased: boolean }[]
    >`
      select id::text, attempts, last_error, extract(epoch from next_attempt_at - now())::float8 as wait,
             lease_until is not null as leased
      from jobs where id in (${first!}, ${second!}) order by id`;
    expect(rows.map((r) => [r.attempts, r.last_error, r.leased])).toEqual([
      [1, 'gateway 429', false],
      [0, null, false],
    ]);
    for (const r of rows) expect(r.wait).toBeGreaterThan(28);
    for (const r of rows) expect(r.wait).toBeLessThanOrEqual(30);
    expect(await table(other, 'retry').claim({ n: 2 })).toEqual([]);
  });

  it('marks a row dead with a statement of the caller’s in the same command', async () => {
    const [id] = await insert('dead', 1);
    const q = table(sql, 'dead');
    await q.claim({ n: 1 });
    await q.dead(id!, 'refused', sql`insert into letters (job, why) values (${id!}, ${'refused for good'})`);
    const [row] = await sql`select status, last_error, lease_until from jobs where id = ${id!}`;
    expect(row).toMatchObject({ status: 'dead', last_error: 'refused', lease_until: null });
    expect(await sql`select why from letters where job = ${id!}`).toEqual([{ why: 'refused for good' }]);
  });
});

describe('done marks', () => {
  it('rows finishing together are marked done by one statement', async () => {
    const ids = await insert('coalesce', 20);
    const q = table(sql, 'coalesce');
    await q.claim({ n: 20 });
    statements.length = 0;
    await Promise.all(ids.map((id) => q.done(id)));
    const marks = statements.filter((s) => /set status = 'done'/.test(s));
    expect(marks).toHaveLength(1);
    expect(statements).toHaveLength(1);
    const [r] = await sql<{ n: number }[]>`
      select count(*)::int as n from jobs where lane = 'coalesce' and status = 'done' and done_at is not null`;
    expect(r!.n).toBe(20);
  });

  it('flush writes what waits for company; close gives up a mark it cannot write and the row stays claimable', async () => {
    const [kept, lost] = await insert('flush', 2);
    const q = table(sql, 'flush', 60_000, 600_000);
    await q.claim({ n: 2 });
    let written = false;
    const p = q.done(kept!).then(() => (written = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(written).toBe(false); // still waiting for company (10 min window)
    await q.flush();
    await p;
    expect((await sql`select status from jobs where id = ${kept!}`)[0]).toEqual({ status: 'done' });

    const doomed = createSql(db.url, { max: 1 });
    const d = createLeasedTable<Job>(doomed, spec('flush'), {
      leaseMs: 1000,
      markWindowMs: 600_000,
      onMarkError: () => {},
    });
    await sql`update jobs set lease_until = null where id = ${lost!}`;
    await d.claim({ n: 1 });
    const mark = d.done(lost!);
    await doomed.end();
    await d.close();
    await expect(mark).rejects.toThrow();
    // Not lost: still pending, and claimable again once its lease ran out.
    expect((await sql`select status from jobs where id = ${lost!}`)[0]).toEqual({ status: 'pending' });
    let again: Job[] = [];
    await until(async () => (again = await table(other, 'flush').claim({ n: 1 })).length > 0);
    expect(again.map((r) => r.id)).toEqual([lost]);
  });
});
