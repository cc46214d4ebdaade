// fleet retailcrm admin-link / register against a real PostgreSQL and the strict RetailCRM fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { runFleet } from '../src/index.ts';

const KEY = 'cli-admin-key-0123456789abcdef';
let db: TestDatabase;
let sql: Sql;
let fake: RetailCrmFake;
let crmUrl: string;
const env = { NODE_ENV: 'test', PUBLIC_BASE_URL: 'https://pbx.example.com' };

async function fleet(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runFleet(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    connect: async () => ({ sql, close: async () => {} }),
    env,
  });
  return { code, out, err };
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  fake = createRetailCrmFake({ apiKeys: [{ key: KEY }], users: [{ id: 7, active: true }] });
  crmUrl = await fake.listen();
  await sql`insert into enterprises (number, name, host_token) values ('301', 'Shop', 'tok-301')`;
});
afterAll(async () => {
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('fleet retailcrm admin-link / register', () => {
  it('admin-link prints a link under PUBLIC_BASE_URL and records its jti', async () => {
    const r = await fleet('retailcrm', 'admin-link', '--enterprise', '301');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^https:\/\/pbx\.example\.com\/retailcrm-admin\/auth\?token=ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await sql`select kind from retailcrm_admin_links where enterprise = '301'`).map((x) => x.kind)).toEqual([
      'operator',
    ]);
    expect((await fleet('retailcrm', 'admin-link', '--enterprise', '999')).code).toBe(3);
  });

  it('register needs a connection, then registers with the map and revokes the operator link', async () => {
    const before = await fleet('retailcrm', 'register', '--enterprise', '301');
    expect(before.code).toBe(1);
    expect(before.err.join()).toContain('Подключение не настроено');
    expect((await fleet('retailcrm', 'set', '--enterprise', '301', '--domain', crmUrl, '--api-key', KEY)).code).toBe(0);
    expect((await fleet('retailcrm', 'map', '--enterprise', '301', '--user', '7', '--extension', '101')).code).toBe(0);
    const r = await fleet('retailcrm', 'register', '--enterprise', '301');
    expect(r).toMatchObject({
      code: 0,
      out: [
        'module fleet-telephony registered for enterprise 301: active, 1 manager extension(s), 1 older link(s) revoked',
      ],
    });
    expect(fake.state.rejections).toEqual([]);
    const m = fake.state.modules['fleet-telephony'] as {
      clientId: string;
      integrations: { telephony: { additionalCodes: unknown } };
    };
    expect(m.integrations.telephony.additionalCodes).toEqual([{ userId: 7, code: '101' }]);
    expect(m.clientId).toMatch(/^[0-9a-f]{32}$/);
    const log =
      await sql`select ok, request::text as req from integration_logs where enterprise = '301' and kind = 'module.edit'`;
    expect(log).toHaveLength(1);
    expect(log[0]!.req).not.toContain(KEY);
    expect(log[0]!.req).toContain('token=[redacted]');
  });
});
