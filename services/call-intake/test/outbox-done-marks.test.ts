// Issue 12's PostgreSQL CPU per popup: outbox rows the gateway acknowledged together are marked done by
// one statement between them (@fleet/leased-queue's done marks), not one statement per row; and a mark
// still on its way never strands the row of the same call written behind it. The marks are held on a
// lock this test takes (a test trigger), so what shares a statement does not depend on the machine's
// timing.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql, type TestDatabase } from '@fleet/db';
import type { CallEventBody } from '@fleet/call-event';
import { addEnterprise, intake, withDatabase } from './helpers.ts';

const ROWS = 20;
const LOCK = 770078;
let db: TestDatabase;
let sql: Sql;
let recorded: Sql;
const statements: string[] = [];

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  recorded = createSql(db.url, { debug: (_c, q) => statements.push(q) });
  await addEnterprise(sql, '200', 'TOKEN-200');
  await sql.unsafe(`
    create function outbox_test_hold() returns trigger language plpgsql as $$
    begin
      if new.status = 'done' and old.status = 'pending' then perform pg_advisory_xact_lock(${LOCK}); end if;
      return new;
    end $$;
    create trigger outbox_test_hold before update on intake_outbox for each row execute function outbox_test_hold();`);
});
afterAll(async () => {
  await recorded.end();
  await sql.end();
  await db.drop();
});

/** A gateway that answers 200 and records the bodies. */
async function gateway(onBody: (b: CallEventBody) => void = () => {}): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      onBody(JSON.parse(body) as CallEventBody);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"delivered"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** Runs `fn` while this test holds the lock every done mark waits on. */
async function withMarksHeld<T>(fn: () => Promise<T>): Promise<T> {
  const holder = await sql.reserve();
  try {
    await holder`select pg_advisory_lock(${LOCK})`;
    return await fn();
  } finally {
    await holder`select pg_advisory_unlock(${LOCK})`;
    holder.release();
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`not within 30 s: ${what}`);
}

describe('outbox done marks', () => {
  it('marks the rows of a burst done in one statement after the first, each row done once', async () => {
    const gw = await gateway();
    const app = await intake(recorded, { GATEWAY_URL: gw.url });
    try {
      await sql`
        insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload)
        select '200', 'burst.' || i, 'dial', 'ringing:1', jsonb_build_object('callId', 'burst.' || i)
        from generate_series(1, ${ROWS}) as i`;
      statements.length = 0;
      const { round } = await withMarksHeld(async () => {
        const r = app.dispatcher.runOnce();
        // Every row answered while the first mark's statement waits on the lock: the rest queue behind it.
        await until(() => app.dispatcher.stats.sent === ROWS, 'every row answered');
        return { round: r }; // not the promise itself: awaiting it here would wait for the held marks
      });
      expect(await round).toBe(ROWS);
      await app.dispatcher.idle();
      const marks = statements.filter((q) => /set status = 'done'/.test(q));
      expect(marks.length).toBeGreaterThan(0);
      expect(marks.length).toBeLessThanOrEqual(2);
      const rows = await sql<{ status: string; attempts: number }[]>`
        select status, attempts from intake_outbox where call_id like 'burst.%'`;
      expect(rows).toHaveLength(ROWS);
      expect(rows.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    } finally {
      await app.close();
      await new Promise<void>((r) => gw.server.close(() => r()));
    }
  });

  it('a row written behind a delivered row whose mark is not in yet is sent once the mark is (no poll)', async () => {
    const received: string[] = [];
    const gw = await gateway((b) => received.push(b.dedup_key));
    // WORKERS off (the helpers' default): no poll would ever send the second row.
    const app = await intake(sql, { GATEWAY_URL: gw.url });
    try {
      const payload = (dedup: string) => ({ callId: 'race.1', dedup_key: dedup }) as unknown as CallEventBody;
      await withMarksHeld(async () => {
        // The dial, born leased to this instance and handed over in memory, as the processor does.
        const [dial] = await sql<{ id: string }[]>`
          insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload, next_attempt_at)
          values ('200', 'race.1', 'dial', 'ringing:1', ${sql.json(payload('ringing:1') as never)}, now() + interval '60 s')
          returning id::text`;
        app.dispatcher.sendLeased([
          {
            id: dial!.id,
            enterprise: '200',
            call_id: 'race.1',
            dedup_key: 'ringing:1',
            payload: payload('ringing:1'),
            attempts: 0,
          },
        ]);
        await until(() => app.dispatcher.stats.sent === 1, 'the dial answered');
        // Its mark waits on the lock; meanwhile the hangup is written due, waiting behind the pending dial.
        await sql`
          insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload)
          values ('200', 'race.1', 'hangup', 'ended', ${sql.json(payload('ended') as never)})`;
        app.dispatcher.sendLeased([], true);
      });
      await until(() => received.length === 2, 'the hangup sent');
      expect(received).toEqual(['ringing:1', 'ended']);
      await app.dispatcher.idle();
      const rows = await sql<{ status: string }[]>`select status from intake_outbox where call_id = 'race.1'`;
      expect(rows.map((r) => r.status)).toEqual(['done', 'done']);
    } finally {
      await app.close();
      await new Promise<void>((r) => gw.server.close(() => r()));
    }
  });
});
