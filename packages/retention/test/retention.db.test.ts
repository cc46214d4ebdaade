// The retention mechanism against real PostgreSQL, on tables of its own: old finished rows go, young
// or unfinished rows stay (pending rows of any age), statements loop in small batches until nothing
// is left, rows a page still shows are kept, and one pass per job name runs at a time (advisory lock).
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetentionJob, RETENTION_LOCK_NS, type RetentionRule } from '../src/index.ts';

const DAY = 86_400_000;
let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  // `jobs` has a time-ordered bigint id (id walk); `claims` has none (heap walk).
  await sql`create table jobs (id bigserial primary key, status text not null, created_at timestamptz not null default now())`;
  await sql`create table claims (k text primary key, status text not null, updated_at timestamptz not null default now(), pad text)`;
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});
beforeEach(async () => {
  await sql`truncate jobs, claims`;
});

const jobsRule = (over: Partial<RetentionRule> = {}): RetentionRule => ({
  table: 'jobs',
  days: 30,
  age: 'created_at',
  finished: "status in ('done', 'dead')",
  walk: { insertedAt: 'created_at' },
  ...over,
});
const claimsRule: RetentionRule = { table: 'claims', days: 7, age: 'updated_at', finished: "status = 'done'" };

/** Rows `daysAgo` old, in insertion (id) order. */
async function addJobs(n: number, status: string, daysAgo: number) {
  await sql`insert into jobs (status, created_at) select ${status}, now() - ${daysAgo} * interval '1 day' from generate_series(1, ${n})`;
}
const count = async (where: string) =>
  (await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${where}`))[0]!.n;

describe('id walk', () => {
  it('removes old finished rows in batches until none is left; young and pending rows stay', async () => {
    await addJobs(25, 'done', 40);
    await addJobs(3, 'pending', 3650); // ten years old and still pending: never removed
    await addJobs(6, 'dead', 35);
    await addJobs(5, 'done', 1); // young
    const job = createRetentionJob({ sql, name: 't-batches', rules: [jobsRule()], intervalMs: 0, batchRows: 4 });
    const pass = await job.runOnce();
    expect(pass).toMatchObject({ status: 'done', deleted: { jobs: 31 }, errors: {} });
    expect(await count(`jobs where status = 'pending'`)).toBe(3);
    expect(await count(`jobs where status = 'done'`)).toBe(5);
    expect(await count('jobs')).toBe(8);
    // Nothing more to do: the next pass removes nothing.
    expect((await job.runOnce()).deleted).toEqual({ jobs: 0 });
  });

  it('measures age on the injected clock: rows of today go when the clock is 31 days ahead', async () => {
    await addJobs(3, 'done', 0);
    await addJobs(2, 'pending', 0);
    const today = createRetentionJob({ sql, name: 't-clock', rules: [jobsRule()], intervalMs: 0 });
    expect((await today.runOnce()).deleted).toEqual({ jobs: 0 });
    const later = createRetentionJob({
      sql,
      name: 't-clock',
      rules: [jobsRule()],
      intervalMs: 0,
      now: () => Date.now() + 31 * DAY,
    });
    expect((await later.runOnce()).deleted).toEqual({ jobs: 3 });
    expect(await count('jobs')).toBe(2);
  });

  it('keeps the rows `keep` names whatever their age', async () => {
    await addJobs(5, 'done', 100);
    const [oldest] = await sql<{ id: string }[]>`select min(id)::text as id from jobs`;
    const job = createRetentionJob({
      sql,
      name: 't-keep',
      rules: [jobsRule({ keep: async () => [oldest!.id] })],
      intervalMs: 0,
      batchRows: 2,
    });
    expect((await job.runOnce()).deleted).toEqual({ jobs: 4 });
    expect(await sql`select id::text from jobs`).toEqual([{ id: oldest!.id }]);
  });

  it('ends the walk at the first row inserted after the cutoff', async () => {
    await addJobs(2, 'done', 40);
    await addJobs(1, 'done', 1);
    // Out of time order (e.g. replayed with its original time): reached once the young row ages.
    await addJobs(1, 'done', 50);
    const job = createRetentionJob({ sql, name: 't-stop', rules: [jobsRule()], intervalMs: 0, batchRows: 1 });
    expect((await job.runOnce()).deleted).toEqual({ jobs: 2 });
    expect(await count('jobs')).toBe(2);
  });
});

describe('heap walk', () => {
  it('visits the whole table a few pages per statement: old done rows go, running and young rows stay', async () => {
    // ~2,000 rows of ~100 bytes span a few dozen pages; 2 pages per statement makes many statements.
    await sql`insert into claims (k, status, updated_at, pad)
      select 'old-' || g, case when g % 10 = 0 then 'running' else 'done' end, now() - interval '8 days', repeat('x', 80)
      from generate_series(1, 2000) g`;
    await sql`insert into claims (k, status, pad) select 'new-' || g, 'done', repeat('x', 80) from generate_series(1, 50) g`;
    const [pages] = await sql<{ n: number }[]>`select (pg_relation_size('claims') / 8192)::int as n`;
    expect(pages!.n).toBeGreaterThan(10);
    // A statement reads its page range only (PostgreSQL ≥ 14), not the table.
    const plan = await sql.unsafe(
      `explain delete from claims where ctid >= '(0,0)'::tid and ctid < '(2,0)'::tid and updated_at < now() and status = 'done'`,
    );
    expect(JSON.stringify(plan)).toContain('Tid Range Scan');
    const job = createRetentionJob({ sql, name: 't-heap', rules: [claimsRule], intervalMs: 0, pages: 2 });
    expect((await job.runOnce()).deleted).toEqual({ claims: 1800 });
    expect(await count(`claims where status = 'running'`)).toBe(200);
    expect(await count(`claims where k like 'new-%'`)).toBe(50);
  });
});

describe('the job', () => {
  it('skips its pass while another instance holds the lock of its name, and runs once it is free', async () => {
    await addJobs(4, 'done', 40);
    const other = await sql.reserve();
    try {
      await other`select pg_advisory_lock(${RETENTION_LOCK_NS}, hashtext('t-lock'))`;
      const job = createRetentionJob({ sql, name: 't-lock', rules: [jobsRule()], intervalMs: 0 });
      // Another job name is not held back by it.
      expect(
        (await createRetentionJob({ sql, name: 't-lock-2', rules: [claimsRule], intervalMs: 0 }).runOnce()).status,
      ).toBe('done');
      expect(await job.runOnce()).toMatchObject({ status: 'locked', deleted: {} });
      expect(await count('jobs')).toBe(4);
      await other`select pg_advisory_unlock(${RETENTION_LOCK_NS}, hashtext('t-lock'))`;
      expect(await job.runOnce()).toMatchObject({ status: 'done', deleted: { jobs: 4 } });
    } finally {
      other.release();
    }
  });

  it('joins a pass already running instead of starting a second', async () => {
    await addJobs(3, 'done', 40);
    const job = createRetentionJob({ sql, name: 't-join', rules: [jobsRule()], intervalMs: 0 });
    const [a, b] = await Promise.all([job.runOnce(), job.runOnce()]);
    expect(a).toBe(b);
    expect(a.deleted).toEqual({ jobs: 3 });
  });

  it('a failing table is reported and the others still run', async () => {
    await addJobs(2, 'done', 40);
    const onTable = vi.fn();
    const job = createRetentionJob({
      sql,
      name: 't-fail',
      rules: [{ ...claimsRule, table: 'no_such_table' }, jobsRule()],
      intervalMs: 0,
      onTable,
    });
    const pass = await job.runOnce();
    expect(pass.deleted).toEqual({ jobs: 2 });
    expect(Object.keys(pass.errors)).toEqual(['no_such_table']);
    expect(onTable).toHaveBeenCalledWith('jobs', 2);
    expect(onTable.mock.calls.find((c) => c[0] === 'no_such_table')?.[2]).toBeInstanceOf(Error);
  });

  it('runs on its schedule (the wait drawn from ×0.5–1.5 of the interval) and stops', async () => {
    await addJobs(2, 'done', 40);
    const onPass = vi.fn();
    // random 0 → the shortest wait, 0.5 × 200 ms.
    const job = createRetentionJob({
      sql,
      name: 't-schedule',
      rules: [jobsRule()],
      intervalMs: 200,
      random: () => 0,
      onPass,
    });
    job.start();
    try {
      await vi.waitFor(async () => expect(await count('jobs')).toBe(0), { timeout: 10_000, interval: 50 });
      await vi.waitFor(() => expect(onPass.mock.calls.length).toBeGreaterThanOrEqual(2), {
        timeout: 10_000,
        interval: 50,
      });
    } finally {
      await job.stop();
    }
    const passes = onPass.mock.calls.length;
    await addJobs(1, 'done', 40);
    await new Promise((r) => setTimeout(r, 1000));
    expect(onPass.mock.calls.length).toBe(passes);
    expect(await count('jobs')).toBe(1);
  });
});
