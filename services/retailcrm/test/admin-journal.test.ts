// The Journal section's paging and filters on rows whose time, call id and phone the test chose:
// page 2 holds exactly the next 20 rows (newest first), the call id filter finds that call's rows,
// and the date filter cuts days in the enterprise's time zone (Europe/Minsk, UTC+3), not in UTC.
// Regression: rows were sorted by the selected id::text, so row 9 came before row 45 on page 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminWorld, loggedIn } from './admin-helpers.ts';
import { ENTERPRISE, type World } from './fixtures.ts';

let w: World;
let b: Awaited<ReturnType<typeof loggedIn>>;

beforeAll(async () => {
  w = await createAdminWorld();
  // 45 rows an hour apart from 2024-03-01 00:30 UTC; every fifth is call c-<n>; another enterprise's row too.
  for (let i = 0; i < 45; i++) {
    await w.sql`insert into integration_logs (enterprise, kind, ok, call_id, phone, created_at)
      values (${ENTERPRISE}, 'call.event', ${i % 7 !== 0}, ${i % 5 === 0 ? 'c-5' : `c-${i}`}, ${`+37529000${String(i).padStart(4, '0')}`},
              ${new Date(Date.UTC(2024, 2, 1, 0, 30) + i * 3_600_000)})`;
  }
  await w.sql`insert into integration_logs (enterprise, kind, ok, call_id, created_at) values ('999', 'call.event', true, 'c-5', '2024-03-01T12:00:00Z')`;
  b = await loggedIn(w);
});
afterAll(() => w.close());

const journal = async (q: string) => {
  const res = await b.api('GET', `/journal${q}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    total: number;
    page: number;
    pageSize: number;
    rows: Array<{ callId: string; at: string; ok: boolean }>;
  };
};
const indexOf = (row: { at: string }) => Math.round((Date.parse(row.at) - Date.UTC(2024, 2, 1, 0, 30)) / 3_600_000);

describe('journal', () => {
  it('page 2 is the next 20 rows, newest first; page 3 the last 5', async () => {
    const p1 = await journal('?page=1');
    const p2 = await journal('?page=2');
    const p3 = await journal('?page=3');
    expect(p1.total).toBe(45);
    expect(p1.rows.map(indexOf)).toEqual(Array.from({ length: 20 }, (_, k) => 44 - k));
    expect(p2.page).toBe(2);
    expect(p2.rows.map(indexOf)).toEqual(Array.from({ length: 20 }, (_, k) => 24 - k));
    expect(p3.rows.map(indexOf)).toEqual([4, 3, 2, 1, 0]);
  });

  it("the call id filter returns exactly that call's rows of this enterprise", async () => {
    const r = await journal('?callId=c-5');
    expect(r.total).toBe(9);
    expect(r.rows.map(indexOf)).toEqual([40, 35, 30, 25, 20, 15, 10, 5, 0]);
    expect((await journal('?callId=c-4')).rows.map(indexOf)).toEqual([4]);
    expect((await journal('?callId=nope')).total).toBe(0);
  });

  it('the date filter is inclusive and cut in the enterprise time zone', async () => {
    // Minsk 2024-03-02 = UTC 2024-03-01 21:00 … 2024-03-02 21:00 → rows 21..44 (20:30 UTC is still 03-01 there).
    const day2 = await journal('?from=2024-03-02&to=2024-03-02');
    expect(day2.total).toBe(24);
    expect([...day2.rows.map(indexOf)].pop()).toBe(25); // page 1 of 2: 44..25
    expect((await journal('?from=2024-03-02&to=2024-03-02&page=2')).rows.map(indexOf)).toEqual([24, 23, 22, 21]);
    expect((await journal('?to=2024-03-01')).total).toBe(21); // rows 0..20
    expect((await journal('?from=2024-03-03')).total).toBe(0);
  });

  it('filters combine: status and call id', async () => {
    const r = await journal('?callId=c-5&status=error');
    expect(r.rows.map(indexOf)).toEqual([35, 0]); // i % 7 === 0 among 0, 5, …, 40
  });
});
