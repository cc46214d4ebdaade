// Issue 15.4: `fleet retailcrm register` is idempotent under timeouts. RetailCRM (the strict fake)
// applies the module edit and then its answer is late: the command must not drop the link RetailCRM
// now shows behind the module's "go to account" button. A link is revoked only when RetailCRM is known
// not to hold it (the module is read back first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { runFleet } from '../src/index.ts';

const KEY = 'cli-timeout-key-0123456789abcdef';
let db: TestDatabase;
let sql: Sql;
let fake: RetailCrmFake;
let crmUrl: string;
// A short client timeout and no retry: the edit's answer (held 1.5 s) is never heard.
const env = {
  NODE_ENV: 'test',
  PUBLIC_BASE_URL: 'https://pbx.example.com',
  RETAILCRM_TIMEOUT_MS: '400',
  RETAILCRM_RETRIES: '0',
};
const MODULES = '/api/v5/integration-modules/';

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

/** The link behind the module's button at RetailCRM now, and whether our table still honours it. */
async function buttonLink() {
  const m = fake.state.modules['fleet-telephony'] as { accountUrl: string };
  const token = new URL(m.accountUrl).searchParams.get('token')!;
  const { jti } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string };
  const [row] = await sql<
    { revoked: boolean }[]
  >`select revoked_at is not null as revoked from retailcrm_admin_links where jti = ${jti}`;
  return { jti, usable: row !== undefined && !row.revoked };
}

const usableModuleLinks = async () =>
  (
    await sql<
      { jti: string }[]
    >`select jti from retailcrm_admin_links where enterprise = '302' and kind = 'module' and revoked_at is null order by issued_at`
  ).map((r) => r.jti);

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  fake = createRetailCrmFake({ apiKeys: [{ key: KEY }], users: [{ id: 7, active: true }] });
  crmUrl = await fake.listen();
  await sql`insert into enterprises (number, name, host_token) values ('302', 'Shop', 'tok-302')`;
  expect((await fleet('retailcrm', 'set', '--enterprise', '302', '--domain', crmUrl, '--api-key', KEY)).code).toBe(0);
  expect((await fleet('retailcrm', 'register', '--enterprise', '302')).code).toBe(0);
});
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 1_600)); // the held answers finish before the fake closes
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('fleet retailcrm register under timeouts', () => {
  it('RetailCRM applied the edit, then the answer timed out: the registration stands, the new link works, the old one is revoked', async () => {
    const first = await buttonLink();
    expect(first.usable).toBe(true);
    fake.setFaults({ hangAfterNext: 1, hangMs: 1_500, path: MODULES });
    const r = await fleet('retailcrm', 'register', '--enterprise', '302');
    const now = await buttonLink();
    expect(now.jti).not.toBe(first.jti); // RetailCRM holds the new link…
    expect(now.usable).toBe(true); // …and it works (before the fix: deleted, a dead button)
    expect(r).toMatchObject({
      code: 0,
      out: [
        'module fleet-telephony registered for enterprise 302: active, 0 manager extension(s), 1 older link(s) revoked',
      ],
    });
    expect(await usableModuleLinks()).toEqual([now.jti]);
    // The journal shows the edit without an answer and the read-back that settled it.
    const kinds = await sql<
      { kind: string; ok: boolean }[]
    >`select kind, ok from integration_logs where enterprise = '302' order by id desc limit 2`;
    expect(kinds).toEqual([
      { kind: 'module.get', ok: true },
      { kind: 'module.edit', ok: false },
    ]);
  });

  it('the edit timed out WITHOUT being applied: RetailCRM keeps the link it shows, and that link still works', async () => {
    const before = await buttonLink();
    fake.setFaults({ hangNext: 1, hangMs: 1_500, path: MODULES });
    const r = await fleet('retailcrm', 'register', '--enterprise', '302');
    expect(r.code).toBe(1);
    // Whatever RetailCRM ends up with (the late edit may still land), its link is usable: neither the
    // shown one nor the new one was revoked on an unknown outcome.
    const links = await usableModuleLinks();
    expect(links).toContain(before.jti);
    expect(links).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await buttonLink()).usable).toBe(true);
    // The next registration that succeeds settles it: one link left, the one RetailCRM shows.
    fake.setFaults({});
    expect((await fleet('retailcrm', 'register', '--enterprise', '302')).code).toBe(0);
    const settled = await buttonLink();
    expect(settled.usable).toBe(true);
    expect(await usableModuleLinks()).toEqual([settled.jti]);
  });
});
