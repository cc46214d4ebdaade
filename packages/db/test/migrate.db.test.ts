// Migrations: applied once under an advisory lock even when several services start at once, and the
// enterprises trigger notifies listeners whoever changes the row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, migrate, type Sql, type TestDatabase } from '../src/index.ts';

let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url);
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

describe('migrate', () => {
  it('is a no-op on a migrated database, even when run concurrently', async () => {
    const results = await Promise.all([migrate(sql), migrate(sql), migrate(sql)]);
    for (const r of results) expect(r.applied).toEqual([]);
    const [row] = await sql`select count(*)::int as n from schema_migrations`;
    expect(row!.n).toBeGreaterThanOrEqual(4);
  });
});

describe('enterprises trigger', () => {
  it('notifies integration_config_changed on config and active changes only', async () => {
    const got: string[] = [];
    const listener = await sql.listen('integration_config_changed', (n) => got.push(n));
    await sql`insert into enterprises (number, name, host_token) values ('501', 'A', 'tok-501')`;
    await sql`update enterprises set name = 'B' where number = '501'`;
    await sql`update enterprises set integrations_config = '{"retailcrm":{"enabled":true}}' where number = '501'`;
    await sql`update enterprises set active = false where number = '501'`;
    await new Promise((r) => setTimeout(r, 200));
    await listener.unlisten();
    expect(got).toEqual(['501', '501', '501']);
  });
});
