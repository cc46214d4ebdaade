// Issue 12's PostgreSQL CPU per popup: the outbox rows the gateway acknowledged together are marked done
// by one statement between them (@fleet/leased-queue's done marks), not one statement per row. The
// gateway here holds its answers until every row arrived, then answers them all at once, as a burst
// of popups does.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql, type TestDatabase } from '@fleet/db';
import { addEnterprise, intake, withDatabase } from './helpers.ts';

const ROWS = 20;
let db: TestDatabase;
let sql: Sql;
let recorded: Sql;
const statements: string[] = [];

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  recorded = createSql(db.url, { debug: (_c, q) => statements.push(q) });
  await addEnterprise(sql, '200', 'TOKEN-200');
});
afterAll(async () => {
  await recorded.end();
  await sql.end();
  await db.drop();
});

describe('outbox done marks', () => {
  it('marks the rows of a burst done in fewer statements than rows, each row done once', async () => {
    const held: (() => void)[] = [];
    const gw = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"delivered"}'));
        if (held.length === ROWS) for (const answer of held) answer();
      });
    });
    await new Promise<void>((r) => gw.listen(0, '127.0.0.1', r));
    const app = await intake(recorded, { GATEWAY_URL: `http://127.0.0.1:${(gw.address() as { port: number }).port}` });
    try {
      await sql`
        insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload)
        select '200', 'burst.' || i, 'dial', 'ringing:1', jsonb_build_object('callId', 'burst.' || i)
        from generate_series(1, ${ROWS}) as i`;
      statements.length = 0;
      expect(await app.dispatcher.runOnce()).toBe(ROWS);
      await app.dispatcher.idle();
      const marks = statements.filter((q) => /set status = 'done'/.test(q));
      // One when the answers arrive within the same 3 ms; a loaded machine may split the burst.
      expect(marks.length).toBeGreaterThan(0);
      expect(marks.length).toBeLessThan(ROWS / 2);
      const rows = await sql<{ status: string; attempts: number }[]>`
        select status, attempts from intake_outbox where call_id like 'burst.%'`;
      expect(rows).toHaveLength(ROWS);
      expect(rows.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    } finally {
      await app.close();
      await new Promise<void>((r) => gw.close(() => r()));
    }
  });
});
