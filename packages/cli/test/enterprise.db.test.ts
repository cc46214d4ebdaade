// fleet enterprise add/list/set against a real PostgreSQL: what an operator sees and what the
// services will read (enterprises rows), including duplicates (exit 4) and unknown numbers (exit 3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { fleetOn } from './fleet-harness.ts';

let db: TestDatabase;
let sql: Sql;
let fleet: ReturnType<typeof fleetOn>;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  fleet = fleetOn(sql);
});

afterAll(async () => {
  await sql.end();
  await db.drop();
});

describe('fleet enterprise', () => {
  it('add stores the enterprise with defaults and never echoes the token', async () => {
    const r = await fleet('enterprise', 'add', '--number', '101', '--name', 'Shop One', '--token', '375291110001');
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out.join('\n')).not.toContain('375291110001');
    const [row] =
      await sql`select name, host_token, active, timezone, phone_region from enterprises where number = '101'`;
    expect(row).toEqual({
      name: 'Shop One',
      host_token: '375291110001',
      active: true,
      timezone: 'Europe/Minsk',
      phone_region: 'BY',
    });
  });

  it('add takes --timezone (canonicalised) and --region', async () => {
    const r = await fleet(
      'enterprise',
      'add',
      '--number',
      '102',
      '--name',
      'Shop Two',
      '--token',
      '375291110002',
      '--timezone',
      'europe/moscow',
      '--region',
      'ru',
    );
    expect(r.code).toBe(0);
    const [row] = await sql`select timezone, phone_region from enterprises where number = '102'`;
    expect(row).toEqual({ timezone: 'Europe/Moscow', phone_region: 'RU' });
  });

  it('a duplicate number or token is a conflict (exit 4) with a clear line', async () => {
    const dupNumber = await fleet('enterprise', 'add', '--number', '101', '--name', 'Again', '--token', 'other-token');
    expect(dupNumber).toMatchObject({ code: 4, out: [] });
    expect(dupNumber.err).toEqual(['fleet enterprise add: an enterprise with this number already exists']);
    const dupToken = await fleet('enterprise', 'add', '--number', '103', '--name', 'Thief', '--token', '375291110001');
    expect(dupToken.code).toBe(4);
    expect(dupToken.err).toEqual(['fleet enterprise add: another enterprise already uses this host token']);
    expect(await sql`select 1 from enterprises where number = '103'`).toHaveLength(0);
  });

  it('list shows a table with masked tokens and enabled integrations', async () => {
    await sql`update enterprises set integrations_config = '{"retailcrm":{"enabled":true,"api_key":"secret-key-0123456789"}}' where number = '101'`;
    const r = await fleet('enterprise', 'list');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^NUMBER\s+NAME\s+ACTIVE\s+TIMEZONE\s+REGION\s+TOKEN\s+INTEGRATIONS$/);
    expect(r.out[1]).toMatch(/^101\s+Shop One\s+yes\s+Europe\/Minsk\s+BY\s+\*\*\*\*0001\s+retailcrm$/);
    expect(r.out[2]).toMatch(/^102\s+Shop Two\s+yes\s+Europe\/Moscow\s+RU\s+\*\*\*\*0002\s+-$/);
    const all = r.out.join('\n');
    expect(all).not.toContain('375291110001');
    expect(all).not.toContain('secret-key');
  });

  it('set changes only what is given and leaves integrations alone', async () => {
    const r = await fleet('enterprise', 'set', '--number', '101', '--active', 'false', '--timezone', 'Asia/Almaty');
    expect(r).toMatchObject({ code: 0, err: [] });
    const [row] = await sql`select name, active, timezone, integrations_config from enterprises where number = '101'`;
    expect(row).toMatchObject({ name: 'Shop One', active: false, timezone: 'Asia/Almaty' });
    expect(row!.integrations_config).toMatchObject({ retailcrm: { enabled: true } });
    expect((await fleet('enterprise', 'set', '--number', '101', '--name', 'Shop 1')).code).toBe(0);
    expect((await sql`select name from enterprises where number = '101'`)[0]!.name).toBe('Shop 1');
  });

  it('set on an unknown enterprise is exit 3', async () => {
    const r = await fleet('enterprise', 'set', '--number', '999', '--active', 'true');
    expect(r).toMatchObject({ code: 3, err: ['fleet enterprise set: enterprise 999 not found'] });
  });
});
