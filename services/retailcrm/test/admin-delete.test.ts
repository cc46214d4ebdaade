// "Удалить интеграцию" asks RetailCRM itself whether the module is there and switches it off first.
// Regressions: a failed switch-off used to remove the config anyway (the module stayed active at
// RetailCRM with no way to retry from the page), and a module whose link had expired or was never
// recorded was not switched off at all. Now: a failure removes nothing and says why; the admin may
// retry or choose "remove here only"; the module is found at RetailCRM, not in our link table.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdminWorld, loggedIn, retailcrmSection } from './admin-helpers.ts';
import { ENTERPRISE, KEY, type World } from './fixtures.ts';

const CODE = 'fleet-telephony';
let w: World;

beforeAll(async () => {
  w = await createAdminWorld();
});
afterAll(() => w.close());

/** Connected again (the previous case deleted it), optionally registered at the fake. */
async function connected(register: boolean) {
  w.fake.setFaults({});
  w.fake.reset();
  await w.sql`update enterprises set integrations_config = jsonb_build_object('retailcrm', jsonb_build_object(
    'enabled', true, 'domain', ${w.baseUrl}::text, 'api_key', ${KEY}::text, 'client_id', 'client-id-secret-1',
    'user_extensions', jsonb_build_object('18', '151'))) where number = ${ENTERPRISE}`;
  const b = await loggedIn(w);
  if (register)
    expect((await b.api('PUT', '/connection', { domain: w.baseUrl, enabled: true })).json().registration.ok).toBe(true);
  return b;
}
const usableLinks = async () =>
  (await w.sql`select jti from retailcrm_admin_links where enterprise = ${ENTERPRISE} and revoked_at is null`).length;

describe('delete', () => {
  beforeEach(() => w.fake.setFaults({}));

  it('RetailCRM unreachable: 502 with the reason, nothing removed, the admin still in; a retry then succeeds', async () => {
    const b = await connected(true);
    const links = await usableLinks();
    w.fake.setFaults({ fail503Next: 50 });
    const failed = await b.api('DELETE', '/connection');
    expect(failed.statusCode).toBe(502);
    expect(failed.json()).toMatchObject({
      code: 'RCRM_ADMIN_MODULE_OFF_FAILED',
      message: expect.stringContaining('выключить не удалось'),
    });
    expect(await retailcrmSection(w.sql)).toMatchObject({ domain: w.baseUrl, user_extensions: { '18': '151' } });
    expect(await usableLinks()).toBe(links);
    expect((await b.api('GET', '/state')).statusCode).toBe(200);
    expect(w.fake.state.modules[CODE]!.active).toBe(true);

    w.fake.setFaults({});
    const retried = await b.api('DELETE', '/connection');
    expect(retried.json()).toMatchObject({ deleted: true, crm: { ok: true, outcome: 'off' } });
    expect(w.fake.state.modules[CODE]!.active).toBe(false);
    expect(await retailcrmSection(w.sql)).toBeNull();
    expect(await usableLinks()).toBe(0);
    expect((await b.api('GET', '/state')).statusCode).toBe(401);
  });

  it('"remove here only" after a failure: removed here, the module left as it is and the answer says so', async () => {
    const b = await connected(true);
    w.fake.setFaults({ fail503Next: 50 });
    const res = await b.api('DELETE', '/connection?only=here');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      deleted: true,
      crm: { ok: false, outcome: 'skipped', message: expect.stringContaining('НЕ выключен') },
    });
    expect(await retailcrmSection(w.sql)).toBeNull();
    expect(w.fake.state.modules[CODE]!.active).toBe(true);
  });

  it('a module registered at RetailCRM whose link expired is still switched off', async () => {
    const b = await connected(true);
    await w.sql`update retailcrm_admin_links set expires_at = now() - interval '1 minute' where enterprise = ${ENTERPRISE} and kind = 'module'`;
    const res = await b.api('DELETE', '/connection');
    expect(res.json()).toMatchObject({ deleted: true, crm: { outcome: 'off' } });
    expect(w.fake.state.modules[CODE]!.active).toBe(false);
    expect(w.fake.state.rejections).toEqual([]);
  });

  it('no module at RetailCRM: nothing to switch off, said so, nothing created there', async () => {
    const b = await connected(false);
    const res = await b.api('DELETE', '/connection');
    expect(res.json()).toMatchObject({
      deleted: true,
      crm: { ok: true, outcome: 'absent', message: expect.stringContaining('нет') },
    });
    expect(w.fake.state.modules).toEqual({});
    // The 404 that says "no such module" is journaled as an answer, not as an error.
    const [row] =
      await w.sql`select kind, ok, status_code from integration_logs where kind = 'module.get' order by id desc limit 1`;
    expect(row).toEqual({ kind: 'module.get', ok: true, status_code: 404 });
  });

  it('never connected: nothing asked of RetailCRM', async () => {
    await connected(false);
    await w.sql`update enterprises set integrations_config = '{}'::jsonb where number = ${ENTERPRISE}`;
    const b = await loggedIn(w);
    const requests = w.fake.state.requests;
    const res = await b.api('DELETE', '/connection');
    expect(res.json()).toMatchObject({ deleted: true, crm: { outcome: 'not_connected' } });
    expect(w.fake.state.requests).toBe(requests);
  });
});
