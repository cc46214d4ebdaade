// Lanes and rounds over a real table: a lane per key works its items in order (width 1) or up to its
// width, all lanes within the total bound; a lane that claims its own rows claims again as items
// finish; the round loop coalesces kicks into one more round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createLanes, createLeasedTable, createRounds, type LeasedTable } from '../src/index.ts';

let db: TestDatabase;
let sql: Sql;
let tasks: LeasedTable<Task>;
beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 4 });
  await sql`create table tasks (
    id bigserial primary key, lane text not null, status text not null default 'pending',
    attempts integer not null default 0, last_error text, next_attempt_at timestamptz not null default now())`;
  // An outbox-like queue: the lease is the due time pushed out.
  tasks = createLeasedTable<Task>(
    sql,
    {
      table: 'tasks',
      returning: 't.id::text as id, t.lane',
      due: `q.status = 'pending' and q.next_attempt_at <= now()`,
      order: 'q.id',
      lease: 'next_attempt_at',
    },
    { leaseMs: 60_000, onMarkError: () => {} },
  );
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

interface Task {
  id: string;
  lane: string;
}

const tick = () => new Promise((r) => setTimeout(r, 1 + Math.floor(Math.random() * 5)));

describe('lanes', () => {
  it('works the items of a lane one after the other, lanes side by side within the total bound', async () => {
    await sql`insert into tasks (lane) select 'call-' || (i % 5) from generate_series(1, 60) as i`;
    const order = new Map<string, string[]>();
    const busy = new Set<string>();
    let now = 0;
    let most = 0;
    const lanes = createLanes<Task>({
      perLane: 1,
      concurrency: 3,
      idOf: (t) => t.id,
      work: async (t) => {
        expect(busy.has(t.lane)).toBe(false);
        busy.add(t.lane);
        most = Math.max(most, ++now);
        await tick();
        order.set(t.lane, [...(order.get(t.lane) ?? []), t.id]);
        await tasks.done(t.id);
        busy.delete(t.lane);
        now--;
      },
      onError: (err) => {
        throw err;
      },
    });
    const claimed = await tasks.claim({ n: 100 });
    const byLane = new Map<string, Task[]>();
    for (const t of claimed) byLane.set(t.lane, [...(byLane.get(t.lane) ?? []), t]);
    await Promise.all([...byLane].map(([lane, items]) => lanes.push(lane, items)));
    await lanes.idle();
    expect(most).toBe(3);
    for (const [lane, ids] of order) expect(ids).toEqual(byLane.get(lane)!.map((t) => t.id));
    const [r] = await sql<{ n: number }[]>`select count(*)::int as n from tasks where status = 'done'`;
    expect(r!.n).toBe(60);
  });

  it('drain takes the items not yet started out of the lane, and a lane that claims its own claims again', async () => {
    await sql`insert into tasks (lane) select 'chat-' || (i % 2) from generate_series(1, 40) as i`;
    const seen: string[] = [];
    let inLane = 0;
    let widest = 0;
    const lanes = createLanes<Task>({
      perLane: 4,
      refillAt: 2,
      idOf: (t) => t.id,
      refill: (key, room, busy) => tasks.claim({ n: room, busy, where: sql`q.lane = ${key}` }),
      work: async (t) => {
        widest = Math.max(widest, ++inLane);
        await tick();
        seen.push(t.id);
        await tasks.done(t.id);
        inLane--;
      },
      onError: (err) => {
        throw err;
      },
    });
    lanes.wake('chat-0');
    lanes.wake('chat-1');
    await lanes.idle();
    expect(seen).toHaveLength(40);
    expect(widest).toBeLessThanOrEqual(8);
    expect(widest).toBeGreaterThan(1);

    let drained: Task[] = [];
    const ran: string[] = [];
    const strict = createLanes<Task>({
      perLane: 1,
      idOf: (t) => t.id,
      work: async (t, lane) => {
        ran.push(t.id);
        drained = lane.drain();
      },
      onError: (err) => {
        throw err;
      },
    });
    const items = ['1', '2', '3'].map((id) => ({ id, lane: 'x' }));
    await strict.push('x', items);
    expect(ran).toEqual(['1']);
    expect(drained.map((t) => t.id)).toEqual(['2', '3']);
  });
});

describe('rounds', () => {
  it('runs one more round for any number of kicks during a round, and none after stop', async () => {
    let rounds = 0;
    let release: () => void = () => {};
    const r = createRounds({
      round: async () => {
        rounds++;
        await new Promise<void>((res) => {
          release = res;
        });
        return undefined;
      },
      onError: (err) => {
        throw err;
      },
    });
    r.kick();
    for (let i = 0; i < 10; i++) r.kick();
    release();
    await new Promise((res) => setTimeout(res, 20));
    release();
    await r.idle();
    expect(rounds).toBe(2);
    await r.stop();
    r.kick();
    expect(r.running).toBe(false);
    expect(rounds).toBe(2);
  });

  it('arms a timer to the next due time the round returned', async () => {
    const at: number[] = [];
    const r = createRounds({
      round: async () => {
        at.push(Date.now());
        return at.length < 3 ? 1000 : undefined;
      },
      pollMs: 600_000,
      onError: (err) => {
        throw err;
      },
    });
    r.kick();
    const end = Date.now() + 10_000;
    while (at.length < 3 && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
    await r.stop();
    expect(at).toHaveLength(3);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(1900);
  });
});
