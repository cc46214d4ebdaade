// fleet retailcrm customers (issue 14): the operator's switch of customer creation for unknown numbers,
// stored with the enterprise's RetailCRM settings (merged: the connection stays), read back by show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { fleetOn } from './fleet-harness.ts';

let db: TestDatabase;
let sql: Sql;
let fleet: ReturnType<typeof fleetOn>;

const section = async () =>
  (
    await sql<{ c: Record<string, unknown> }[]>`
      select integrations_config->'retailcrm' as c from enterprises where number = '202'`
  )[0]!.c;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  fleet = fleetOn(sql);
  await sql`
    insert into enterprises (number, name, host_token, integrations_config)
    values ('202', 'Shop', '375291110202', ${sql.json({ retailcrm: { enabled: true, domain: 'https://shop.retailcrm.ru' } })})`;
});

afterAll(async () => {
  await sql.end();
  await db.drop();
});

describe('fleet retailcrm customers', () => {
  it('--on stores the switch next to the connection; show prints it; --off turns it off', async () => {
    const on = await fleet('retailcrm', 'customers', '--enterprise', '202', '--on');
    expect(on.code).toBe(0);
    expect(on.out[0]).toBe('customer creation for enterprise 202: on');
    expect(await section()).toMatchObject({
      enabled: true,
      domain: 'https://shop.retailcrm.ru',
      create_customers: true,
    });
    expect((await fleet('retailcrm', 'show', '--enterprise', '202')).out).toContain('  create customers:    on');
    expect((await fleet('retailcrm', 'customers', '--enterprise', '202', '--off')).out).toEqual([
      'customer creation for enterprise 202: off',
    ]);
    expect(await section()).toMatchObject({ create_customers: false, domain: 'https://shop.retailcrm.ru' });
  });

  it('refuses bad input with the reason: both or neither switch (exit 2), an unknown enterprise (exit 3)', async () => {
    const both = await fleet('retailcrm', 'customers', '--enterprise', '202', '--on', '--off');
    expect(both.code).toBe(2);
    expect(both.err.join('\n')).toContain('give exactly one of --on and --off');
    expect((await fleet('retailcrm', 'customers', '--enterprise', '202')).code).toBe(2);
    const unknown = await fleet('retailcrm', 'customers', '--enterprise', '999', '--on');
    expect(unknown.code).toBe(3);
    expect(unknown.err.join('\n')).toContain('enterprise 999 not found');
  });
});
