// The Connection section's rules, through HTTP against the strict fake:
//  - the stored API key only ever goes to the address it was saved for (a session holder once could
//    send it to a host of their own by changing the address and pressing "check" or "save");
//  - "check" reads RetailCRM's credentials answer (scopes, or methods on older accounts), and a key
//    that lacks scopes is an error, shown as the last error, never as the last success;
//  - saving reaches a LISTENer through the NOTIFY trigger and never wipes other config keys;
//  - the module's logo is served as SVG.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { createAdminWorld, loggedIn, retailcrmSection } from './admin-helpers.ts';
import { ENTERPRISE, KEY, type World } from './fixtures.ts';

const WEAK = 'weak-key-0123456789abcdef0123';
const LEGACY = 'legacy-key-0123456789abcdef01';
let w: World;
let spy: { server: Server; url: string; seen: IncomingHttpHeaders[] };
let other: RetailCrmFake;
let otherUrl: string;

beforeAll(async () => {
  w = await createAdminWorld();
  // A host that is not the saved address: it records what reaches it and answers like RetailCRM to a wrong key.
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res
      .writeHead(403, { 'content-type': 'application/json' })
      .end('{"success":false,"errorMsg":"Wrong \\"apiKey\\" value."}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  spy = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  other = createRetailCrmFake({
    apiKeys: [
      { key: WEAK, scopes: ['telephony_write', 'user_read'] },
      {
        key: LEGACY,
        scopes: ['telephony_read', 'telephony_write', 'integration_read', 'user_read'],
        withoutScopesField: true,
      },
    ],
  });
  otherUrl = await other.listen();
});
afterAll(async () => {
  await w.close();
  await other.close();
  await new Promise((r) => spy.server.close(r));
});

describe('the stored key goes only to the address it was saved for', () => {
  it('check and save with a new address but no new key → 400 RCRM_ADMIN_KEY_REQUIRED, nothing sent, nothing saved', async () => {
    const b = await loggedIn(w);
    const check = await b.api('POST', '/connection/check', { domain: spy.url });
    expect(check.statusCode).toBe(400);
    expect(check.json()).toMatchObject({
      code: 'RCRM_ADMIN_KEY_REQUIRED',
      message: expect.stringContaining('введите API-ключ'),
    });
    const save = await b.api('PUT', '/connection', { domain: spy.url, enabled: true });
    expect(save.statusCode).toBe(400);
    expect(save.json().code).toBe('RCRM_ADMIN_KEY_REQUIRED');
    expect(spy.seen).toEqual([]);
    expect((await retailcrmSection(w.sql))!.domain).toBe(w.baseUrl);
  });

  it('a key typed for the new address is what goes there (never the stored one)', async () => {
    const b = await loggedIn(w);
    const res = await b.api('POST', '/connection/check', { domain: spy.url, apiKey: 'typed-for-new-host-0001' });
    expect(res.json()).toMatchObject({ ok: false, message: expect.stringContaining('Wrong') });
    expect(spy.seen.map((h) => h['x-api-key'])).toEqual(['typed-for-new-host-0001']);
  });

  it('the same address spelled differently (case, trailing slash) keeps using the stored key', async () => {
    const b = await loggedIn(w);
    const res = await b.api('POST', '/connection/check', {
      domain: `${w.baseUrl.toUpperCase().replace('HTTP://', 'http://')}//`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, missing: [] });
  });
});

describe('the key check', () => {
  it('names the scopes a key lacks from `scopes`, journals it as an error and shows it as the last error', async () => {
    await w.sql`delete from integration_logs`;
    const b = await loggedIn(w);
    const res = await b.api('POST', '/connection/check', { domain: otherUrl, apiKey: WEAK });
    expect(res.json()).toMatchObject({
      ok: false,
      missing: [{ scope: 'telephony_read' }, { scope: 'integration_read' }, { scope: 'integration_write' }],
    });
    const [row] = await w.sql`select kind, ok, error from integration_logs order by id desc limit 1`;
    expect(row).toEqual({
      kind: 'credentials',
      ok: false,
      error: 'Ключу не хватает прав: telephony_read, integration_read, integration_write',
    });
    const state = (await b.api('GET', '/state')).json();
    expect(state.lastSuccess).toBeNull();
    expect(state.lastError).toMatchObject({
      kind: 'credentials',
      detail: expect.stringContaining('integration_write'),
    });
  });

  it('an older account without `scopes`: the scopes are read from the methods it lists', async () => {
    const b = await loggedIn(w);
    const res = await b.api('POST', '/connection/check', { domain: otherUrl, apiKey: LEGACY });
    expect(res.json()).toMatchObject({
      ok: false,
      missing: [{ scope: 'integration_write', title: expect.stringContaining('регистрация') }],
    });
  });

  it('a key with every scope is ok and becomes the last success', async () => {
    const b = await loggedIn(w);
    expect((await b.api('POST', '/connection/check', {})).json()).toMatchObject({ ok: true, missing: [] });
    expect((await b.api('GET', '/state')).json().lastSuccess).toMatchObject({ kind: 'credentials' });
  });
});

describe('saving', () => {
  it('reaches a LISTENer of integration_config_changed within a second (save and mapping)', async () => {
    const heard: Array<{ payload: string; at: number }> = [];
    const listener = await w.sql.listen('integration_config_changed', (payload) =>
      heard.push({ payload, at: Date.now() }),
    );
    try {
      const b = await loggedIn(w);
      await w.sql`insert into extension_directory (enterprise, extension, name) values (${ENTERPRISE}, '171', 'Ира') on conflict do nothing`;
      const started = Date.now();
      expect((await b.api('PUT', '/connection', { domain: w.baseUrl, enabled: false })).statusCode).toBe(200);
      await until(() => heard.length > 0);
      expect(heard[0]).toMatchObject({ payload: ENTERPRISE });
      expect(heard[0]!.at - started).toBeLessThan(1000);
      heard.length = 0;
      expect((await b.api('PUT', '/managers', { changes: [{ userId: '18', extension: '171' }] })).statusCode).toBe(200);
      await until(() => heard.length > 0);
      expect(heard[0]!.payload).toBe(ENTERPRISE);
    } finally {
      await listener.unlisten();
    }
  });

  it('never wipes other keys of the section or other integrations', async () => {
    await w.sql`update enterprises set integrations_config = integrations_config
      || jsonb_build_object('telegram', jsonb_build_object('mode', 'webhook'), 'other', jsonb_build_object('x', 1))
      || jsonb_build_object('retailcrm', (integrations_config->'retailcrm') || jsonb_build_object('record_url_template', 'https://rec.example/{callId}.mp3', 'operator_note', 'keep me'))
      where number = ${ENTERPRISE}`;
    const b = await loggedIn(w);
    expect(
      (await b.api('PUT', '/connection', { domain: w.baseUrl, apiKey: KEY, enabled: true })).json().registration.ok,
    ).toBe(true);
    expect((await b.api('PUT', '/managers', { changes: [{ userId: '19', extension: '171' }] })).statusCode).toBe(200);
    const [row] = await w.sql<
      { c: Record<string, Record<string, unknown>> }[]
    >`select integrations_config as c from enterprises where number = ${ENTERPRISE}`;
    expect(row!.c.telegram).toEqual({ mode: 'webhook' });
    expect(row!.c.other).toEqual({ x: 1 });
    expect(row!.c.retailcrm).toMatchObject({
      record_url_template: 'https://rec.example/{callId}.mp3',
      operator_note: 'keep me',
      user_extensions: { '19': '171' },
    });
  });
});

describe('the module logo', () => {
  it('is served as SVG at the URL the module registers', async () => {
    const logo = String(w.fake.state.modules['fleet-telephony']!.logo);
    const res = await w.app.inject({ method: 'GET', url: new URL(logo).pathname });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.body).toMatch(/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/);
  });
});

async function until(ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
