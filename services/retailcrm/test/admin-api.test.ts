// The admin page's server side through HTTP (app.inject) against the strict RetailCRM fake: link
// exchange, session scoping, CSRF, encryption at rest, registration contract, mapping rules, journal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, isEncrypted } from '@fleet/secrets';
import { issueLink, linkUrl, signLink } from '@fleet/retailcrm-admin';
import { browser, operatorLink } from './admin-helpers.ts';
import { createWorld, ENTERPRISE, insertEnterprise, KEY, type World } from './fixtures.ts';

let w: World;
const CODE = 'fleet-telephony';

beforeAll(async () => {
  w = await createWorld({ PUBLIC_BASE_URL: 'https://pbx.example.com' });
  await insertEnterprise(w.sql, '202', {
    enabled: true,
    domain: w.baseUrl,
    api_key: KEY,
    client_id: 'client-id-of-202',
  });
  await w.sql`insert into extension_directory (enterprise, extension, name) values
    (${ENTERPRISE}, '151', 'Анна'), (${ENTERPRISE}, '152', 'Борис'), (${ENTERPRISE}, '153', 'Вера')`;
});
afterAll(() => w.close());

const config = async (n = ENTERPRISE) =>
  (
    await w.sql<
      { c: Record<string, unknown> }[]
    >`select integrations_config->'retailcrm' as c from enterprises where number = ${n}`
  )[0]!.c;

describe('link exchange', () => {
  it('a valid link opens a session and redirects to the page without the token', async () => {
    const b = browser(w.app);
    const { url } = await operatorLink(w.sql, w.app, ENTERPRISE);
    const res = await b.open(new URL(url).pathname + new URL(url).search);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/retailcrm-admin/');
    const cookie = res.cookies.find((c) => c.name === 'rcrm_admin')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/retailcrm-admin/', secure: true });
    const page = await b.open('/retailcrm-admin/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Телефония для RetailCRM');
  });

  it("POST with the right clientId works; with another account's clientId it is refused", async () => {
    const { url } = await operatorLink(w.sql, w.app, ENTERPRISE);
    const path = new URL(url).pathname + new URL(url).search;
    expect((await browser(w.app).open(path, 'POST', { clientId: 'client-id-secret-1' })).statusCode).toBe(303);
    const wrong = await browser(w.app).open(path, 'POST', { clientId: 'client-id-of-202' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.body).toContain('data-denied="wrong_account"');
  });

  it('tampered, foreign-secret, other-enterprise, expired, unknown and missing tokens get the denied page', async () => {
    const c = w.app.rcrmConfig;
    const { token, jti } = await operatorLink(w.sql, w.app, ENTERPRISE);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: '202' })).toString('base64url')}.${s}`;
    const otherSecret = signLink('another-secret-another-secret-1234', {
      jti,
      enterprise: ENTERPRISE,
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });
    // Correctly signed, claims enterprise 202, but the jti was issued for 201: the page says the link
    // belongs to another enterprise (it said "revoked" before).
    const crossed = signLink(c.JWT_SECRET, {
      jti,
      enterprise: '202',
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const expired = signLink(c.JWT_SECRET, {
      jti,
      enterprise: ENTERPRISE,
      issuedAt: new Date(Date.now() - 120_000),
      expiresAt: new Date(Date.now() - 60_000),
    });
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    const cases: Array<[string, string]> = [
      [forged, 'invalid'],
      [otherSecret, 'invalid'],
      [crossed, 'wrong_account'],
      [expired, 'expired'],
      [none, 'invalid'],
      ['', 'missing'],
    ];
    for (const [t, reason] of cases) {
      const res = await browser(w.app).open(`/retailcrm-admin/auth?token=${encodeURIComponent(t)}`);
      expect(res.statusCode, reason).toBe(403);
      expect(res.body).toContain(`data-denied="${reason}"`);
      expect(res.cookies.find((k) => k.name === 'rcrm_admin')).toBeUndefined();
    }
  });

  it('the page and every API need the session', async () => {
    const b = browser(w.app);
    expect((await b.open('/retailcrm-admin/')).statusCode).toBe(403);
    for (const [m, p] of [
      ['GET', '/state'],
      ['GET', '/managers'],
      ['GET', '/journal'],
      ['PUT', '/connection'],
      ['DELETE', '/connection'],
    ] as const) {
      const res = await b.api(m, p, m === 'GET' || m === 'DELETE' ? undefined : {});
      expect(res.statusCode, `${m} ${p}`).toBe(m === 'GET' ? 401 : 403);
    }
  });
});

describe('connection, registration, managers, journal', () => {
  const b = () => session;
  let session: ReturnType<typeof browser>;

  beforeAll(async () => {
    session = browser(w.app);
    const { url } = await operatorLink(w.sql, w.app, ENTERPRISE);
    await session.open(new URL(url).pathname + new URL(url).search);
    const st = await session.api('GET', '/state');
    expect(st.statusCode, st.body).toBe(200);
  });

  it('mutations without the CSRF token are refused', async () => {
    const res = await b().api('PUT', '/connection', { domain: w.baseUrl, enabled: true }, { csrf: 'nope' });
    expect(res.statusCode).toBe(403);
  });

  it('state shows a legacy plain key masked, never in full', async () => {
    const res = await b().api('GET', '/state');
    expect(res.body).not.toContain(KEY);
    expect(res.json().connection).toMatchObject({
      domain: w.baseUrl,
      configured: true,
      apiKeyMasked: expect.stringContaining('••'),
    });
  });

  it('check names missing scopes', async () => {
    const res = await b().api('POST', '/connection/check', {});
    expect(res.json()).toMatchObject({ ok: true, missing: [] });
  });

  it('save encrypts the key, keeps user_extensions and registers the module exactly per contract', async () => {
    const res = await b().api('PUT', '/connection', { domain: w.baseUrl, apiKey: KEY, enabled: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ saved: true, registration: { ok: true } });
    const c = await config();
    expect(isEncrypted(c.api_key as string)).toBe(true);
    expect(decryptSecret(w.app.rcrmConfig.SECRETS_KEY, c.api_key as string, ENTERPRISE)).toBe(KEY);
    expect(c.user_extensions).toEqual({ '18': '151', '19': '152' });
    expect(w.fake.state.rejections).toEqual([]);
    const m = w.fake.state.modules[CODE]!;
    expect(m).toMatchObject({
      code: CODE,
      active: true,
      clientId: 'client-id-secret-1',
      baseUrl: 'https://pbx.example.com',
      logo: 'https://pbx.example.com/retailcrm-admin/assets/logo.svg',
      integrations: {
        telephony: {
          makeCallUrl: 'https://pbx.example.com/retailcrm/make-call',
          changeUserStatusUrl: 'https://pbx.example.com/retailcrm/status',
          inputEventSupported: true,
          outputEventSupported: true,
          hangupEventSupported: true,
          additionalCodes: [
            { userId: 18, code: '151' },
            { userId: 19, code: '152' },
          ],
          externalPhones: [],
        },
      },
    });
    expect(m).not.toHaveProperty('actions');
    expect(String(m.accountUrl)).toMatch(/^https:\/\/pbx\.example\.com\/retailcrm-admin\/auth\?token=ey/);
    const logs = await w.sql`select request::text as r, response from integration_logs where kind = 'module.edit'`;
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(`${l.r}${l.response}`).not.toMatch(new RegExp(`${KEY}|token=ey`));
  });

  it('managers: all users; moving an extension tells who lost it and pushes exactly the new additionalCodes', async () => {
    const list = await b().api('GET', '/managers');
    expect(list.statusCode).toBe(200);
    expect(list.json().managers.map((m: { id: number }) => m.id)).toEqual([18, 19]);
    expect(list.json().extensions.map((e: { extension: string }) => e.extension)).toEqual(['151', '152', '153']);
    const conflict = await b().api('PUT', '/managers', {
      changes: [
        { userId: '18', extension: '153' },
        { userId: '19', extension: '153' },
      ],
    });
    expect(conflict.statusCode).toBe(409);
    const res = await b().api('PUT', '/managers', {
      changes: [{ userId: '19', extension: '151' }],
      names: { '18': 'Анна А.', '19': 'Борис Б.' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().lost).toEqual([
      { userId: '18', extension: '151', takenBy: '19', name: 'Анна А.', takenByName: 'Борис Б.' },
    ]);
    expect(res.json().push.ok).toBe(true);
    const crm = (await fetch(`${w.baseUrl}/api/v5/integration-modules/${CODE}`, { headers: { 'x-api-key': KEY } }).then(
      (r) => r.json(),
    )) as { integrationModule: { integrations: { telephony: { additionalCodes: unknown } } } };
    expect(crm.integrationModule.integrations.telephony.additionalCodes).toEqual([{ userId: 19, code: '151' }]);
    expect((await config()).user_extensions).toEqual({ '19': '151' });
  });

  it('journal lists this enterprise only, newest first, filterable, with the key redacted', async () => {
    await w.sql`insert into integration_logs (enterprise, kind, ok, phone, call_id) values ('202', 'call.event', true, '+375290000000', 'other')`;
    const res = await b().api('GET', '/journal?status=ok');
    expect(res.statusCode).toBe(200);
    const j = res.json();
    expect(j.rows.length).toBeGreaterThan(0);
    expect(j.rows.every((r: { ok: boolean; callId: string | null }) => r.ok && r.callId !== 'other')).toBe(true);
    expect(j.rows[0].kind).toBe('module.edit');
    expect(res.body).not.toContain(KEY);
    expect((await b().api('GET', '/journal?phone=375290000000')).json().total).toBe(0);
  });

  it('managers show the status RetailCRM pushed to changeUserStatusUrl, with its time', async () => {
    const clientId = String((await config()).client_id);
    const pushed = await w.app.inject({
      method: 'POST',
      url: '/retailcrm/status',
      payload: new URLSearchParams({ clientId, userId: '19', code: '151', status: 'dinner' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(pushed.statusCode, pushed.body).toBe(200);
    const list = await b().api('GET', '/managers');
    const byId = Object.fromEntries(list.json().managers.map((m: { id: number }) => [m.id, m]));
    expect(byId[19]).toMatchObject({ status: 'dinner', statusSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(byId[18].statusSince).toBeNull();
  });

  it('registering again revokes older links, but admins already in (this one and another) stay in', async () => {
    const old = await operatorLink(w.sql, w.app, ENTERPRISE);
    const other = browser(w.app);
    expect((await other.open(`/retailcrm-admin/auth?token=${old.token}`)).statusCode).toBe(303);
    expect((await b().api('PUT', '/connection', { domain: w.baseUrl, enabled: true })).json().registration.ok).toBe(
      true,
    );
    const denied = await browser(w.app).open(`/retailcrm-admin/auth?token=${old.token}`);
    expect(denied.body).toContain('data-denied="revoked"');
    expect((await b().api('GET', '/state')).statusCode).toBe(200);
    expect((await other.api('GET', '/state')).statusCode).toBe(200);
  });

  it('delete deactivates the module, removes the whole retailcrm config (the map too), and ends access', async () => {
    const res = await b().api('DELETE', '/connection');
    expect(res.json()).toMatchObject({ deleted: true, crm: { ok: true, outcome: 'off' } });
    expect(w.fake.state.modules[CODE]!.active).toBe(false);
    expect(await config()).toBeNull();
    expect((await b().api('GET', '/state')).statusCode).toBe(401);
    expect(w.fake.state.rejections).toEqual([]);
  });
});

describe('links', () => {
  it('linkUrl and issueLink build absolute URLs', async () => {
    const l = await issueLink(w.sql, 'x'.repeat(32), '202', 'operator', 1);
    expect(linkUrl('https://a.b', l.token)).toMatch(/^https:\/\/a\.b\/retailcrm-admin\/auth\?token=/);
  });
});
