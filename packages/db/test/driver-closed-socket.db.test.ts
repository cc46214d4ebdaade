// Regression: postgres.js 3.4.9 wrote to a socket closed() had nulled (a write deferred by
// setImmediate), throwing outside every promise — it killed call-intake and the gateway when the fault
// suite restarted PostgreSQL (porsager/postgres#1154, #1208). patches/postgres@3.4.9.patch settles the
// pending query with CONNECTION_CLOSED instead.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '../src/index.ts';

let db: TestDatabase;
let sql: Sql;
let killer: Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  killer = createSql(db.url, { max: 1 });
});
afterAll(async () => {
  await Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 })]);
  await db.drop();
});

it('a query on a connection whose backend died rejects instead of crashing the process', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const reserved = await sql.reserve();
    const [row] = await reserved`select pg_backend_pid() as pid`;
    await killer`select pg_terminate_backend(${row!.pid})`;
    await expect(reserved`select 1`).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    const second = await reserved`select 1`.then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(uncaught).toEqual([]);
    expect(['CONNECTION_CLOSED', 'answered']).toContain(second);
    reserved.release();
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
