// fleet extension add --mobile / extension list against a real PostgreSQL: the operator says whose
// mobile a FollowMe call reached (the host's events cannot). Stored as the digits of the international
// number, one mobile per enterprise, garbage refused before the database sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { runFleet } from '../src/index.ts';

let db: TestDatabase;
let sql: Sql;

async function fleet(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runFleet(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    connect: async () => ({ sql, close: async () => {} }),
    env: {},
  });
  return { code, out, err };
}
const add = (enterprise: string, extension: string, name: string, ...more: string[]) =>
  fleet('extension', 'add', '--enterprise', enterprise, '--extension', extension, '--name', name, ...more);
const mobiles = async (enterprise: string) =>
  sql<
    { extension: string; mobile: string | null }[]
  >`select extension, mobile from extension_directory where enterprise = ${enterprise} order by extension`;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  await sql`insert into enterprises (number, name, host_token, phone_region) values ('201', 'Shop', 'token-201', 'BY'), ('202', 'Other', 'token-202', 'BY')`;
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

describe('fleet extension add --mobile', () => {
  it('stores the mobile as digits of its international form, whatever the spelling', async () => {
    const r = await add('201', '151', 'Иван Петров', '--mobile', '+375 (29) 123-45-67');
    expect(r).toEqual({
      code: 0,
      out: ['extension 151 → Иван Петров, mobile +375291234567 (enterprise 201)'],
      err: [],
    });
    // National form under the enterprise's region (BY) is the same number.
    expect((await add('201', '151', 'Иван Петров', '--mobile', '8 029 123-45-67')).code).toBe(0);
    expect(await mobiles('201')).toEqual([{ extension: '151', mobile: '375291234567' }]);
  });

  it('a name change without --mobile keeps the mobile; --mobile none takes it away', async () => {
    expect((await add('201', '151', 'Иван')).code).toBe(0);
    expect(await mobiles('201')).toEqual([{ extension: '151', mobile: '375291234567' }]);
    expect((await add('201', '151', 'Иван', '--mobile', 'none')).out).toEqual([
      'extension 151 → Иван, mobile none (enterprise 201)',
    ]);
    expect(await mobiles('201')).toEqual([{ extension: '151', mobile: null }]);
    expect((await add('201', '151', 'Иван Петров', '--mobile', '+375291234567')).code).toBe(0);
  });

  it('garbage is refused with exit 2 and a reason, nothing written', async () => {
    for (const bad of ['abc', '151', '+375 29 12', '375291234567; drop table x', '+999123456789', '12345678']) {
      const r = await add('201', '152', 'Борис', '--mobile', bad);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.err[0], bad).toMatch(
        /^fleet extension add: --mobile .*(not a phone number|not a valid phone number in region BY)/,
      );
    }
    expect(await mobiles('201')).toEqual([{ extension: '151', mobile: '375291234567' }]);
  });

  it('a mobile another extension of the enterprise has: exit 4 naming that extension', async () => {
    const r = await add('201', '152', 'Борис', '--mobile', '80291234567');
    expect(r.code).toBe(4);
    expect(r.err).toEqual([
      'fleet extension add: mobile +375291234567 already belongs to extension 151 (Иван Петров) of enterprise 201; free it there first with --mobile none',
    ]);
    expect(await mobiles('201')).toEqual([{ extension: '151', mobile: '375291234567' }]);
    // Another enterprise may give the same mobile to its own manager.
    expect((await add('202', '152', 'Борис', '--mobile', '+375291234567')).code).toBe(0);
    // The unique constraint holds even past the CLI's check (two operators at once).
    await expect(
      sql`insert into extension_directory (enterprise, extension, name, mobile) values ('201', '153', 'X', '375291234567')`,
    ).rejects.toMatchObject({
      code: '23505',
      constraint_name: 'extension_directory_mobile_key',
    });
  });

  it('unknown enterprise: exit 3', async () => {
    expect((await add('999', '151', 'Иван', '--mobile', '+375291234567')).code).toBe(3);
  });
});

describe('fleet extension list', () => {
  it('shows each extension with its name and mobile', async () => {
    expect((await add('201', '150', 'Анна')).code).toBe(0);
    const r = await fleet('extension', 'list', '--enterprise', '201');
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      'EXTENSION  NAME         MOBILE',
      '150        Анна         -',
      '151        Иван Петров  +375291234567',
    ]);
    expect((await fleet('extension', 'list', '--enterprise', '203')).code).toBe(3);
  });
});
