// Security as tests (issue 7 §4), who may do what: admin links (the module's accountUrl, exchanged for
// a session) refuse forged, re-algorithmed, wrongly keyed, expired, revoked and other enterprises'
// tokens; the admin API never serves another enterprise; RetailCRM's callbacks and makecallexternal
// refuse anything but the enterprise's own random secret; internal endpoints refuse non-loopback
// peers whatever X-Forwarded-For says. Every refusal is checked to have left nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLink, revokeLinks } from '../../packages/retailcrm-admin/src/index.ts';
import { createWorld, type App, type World } from '../fuzz/world.ts';
import { claimsFor, hmacJwt, noneJwt, rs256Jwt, tampered } from './tokens.ts';

let w: World;
const sessions = async () => Number((await w.sql`select count(*)::int as n from retailcrm_admin_sessions`)[0]!.n);

beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w?.close());

async function exchange(token: string, method: 'GET' | 'POST' = 'GET', clientId?: string) {
  return method === 'GET'
    ? w.retailcrm.inject({ method, url: `/retailcrm-admin/auth?token=${encodeURIComponent(token)}` })
    : w.retailcrm.inject({
        method,
        url: '/retailcrm-admin/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ token, ...(clientId ? { clientId } : {}) }).toString(),
      });
}

/** A browser session of `enterprise` through a fresh operator link: its cookies and CSRF token. */
async function login(enterprise: string) {
  const link = await issueLink(w.sql, w.jwtSecret, enterprise, 'operator', 30);
  const auth = await exchange(link.token);
  expect(auth.statusCode).toBe(303);
  const id = auth.cookies.find((c: { name: string }) => c.name === 'rcrm_admin')!.value;
  const state = await w.retailcrm.inject({
    method: 'GET',
    url: '/retailcrm-admin/api/state',
    headers: { cookie: `rcrm_admin=${id}` },
  });
  const csrfCookie = state.cookies.find((c: { name: string }) => c.name === 'rcrm_csrf')!.value;
  return {
    link,
    cookie: `rcrm_admin=${id}; rcrm_csrf=${csrfCookie}`,
    csrf: state.json().csrfToken as string,
    state: state.json(),
  };
}

describe('admin links (accountUrl) and the session exchange', () => {
  let jti: string;
  let good: string;
  beforeAll(async () => {
    const link = await issueLink(w.sql, w.jwtSecret, w.e1.number, 'module', 30);
    jti = link.jti;
    good = link.token;
  });

  it('a genuine link opens a session (the control case), and its answer carries no token', async () => {
    const res = await exchange(good);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/retailcrm-admin/');
    expect(JSON.stringify(res.headers)).not.toContain(good.split('.')[2]);
  });

  it.each([
    ['alg none', 'invalid', () => noneJwt(claimsFor(w.e1.number, jti))],
    ['alg NONE', 'invalid', () => noneJwt(claimsFor(w.e1.number, jti), 'NONE')],
    ['HS512 with the right key', 'invalid', () => hmacJwt('HS512', w.jwtSecret, claimsFor(w.e1.number, jti))],
    ['HS384 with the right key', 'invalid', () => hmacJwt('HS384', w.jwtSecret, claimsFor(w.e1.number, jti))],
    ['RS256 signed by the attacker', 'invalid', () => rs256Jwt(claimsFor(w.e1.number, jti))],
    ['HS256 with a wrong key', 'invalid', () => hmacJwt('HS256', `${w.jwtSecret}x`, claimsFor(w.e1.number, jti))],
    [
      'HS256 keyed with the SECRETS_KEY',
      'invalid',
      () => hmacJwt('HS256', w.secretsKey.toString('hex'), claimsFor(w.e1.number, jti)),
    ],
    ['a genuine signature over changed claims', 'invalid', () => tampered(good, claimsFor(w.e2.number, jti))],
    ['another issuer', 'invalid', () => hmacJwt('HS256', w.jwtSecret, claimsFor(w.e1.number, jti, { iss: 'someone' }))],
    [
      'another audience',
      'invalid',
      () => hmacJwt('HS256', w.jwtSecret, claimsFor(w.e1.number, jti, { aud: 'retailcrm-api' })),
    ],
    [
      'expired',
      'expired',
      () => hmacJwt('HS256', w.jwtSecret, claimsFor(w.e1.number, jti, { exp: Math.floor(Date.now() / 1000) - 10 })),
    ],
    ['a jti never issued', 'revoked', () => hmacJwt('HS256', w.jwtSecret, claimsFor(w.e1.number, 'never-issued'))],
    [
      "another enterprise's number with this enterprise's jti",
      'wrong_account',
      () => hmacJwt('HS256', w.jwtSecret, claimsFor(w.e2.number, jti)),
    ],
    ['garbage', 'invalid', () => 'not.a.jwt'],
    ['empty', 'missing', () => ''],
  ])('%s → 403 access denied (%s), no session', async (_name, reason, make) => {
    const before = await sessions();
    for (const method of ['GET', 'POST'] as const) {
      const res = await exchange(make(), method);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain(`data-denied="${reason === 'missing' && method === 'POST' ? 'missing' : reason}"`);
      expect(res.cookies.find((c: { name: string }) => c.name === 'rcrm_admin')).toBeUndefined();
    }
    expect(await sessions()).toBe(before);
  });

  it("a genuine link posted by RetailCRM with another enterprise's clientId → 403 wrong_account", async () => {
    const res = await exchange(good, 'POST', w.e2.clientId);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('data-denied="wrong_account"');
  });

  it('a revoked link is refused, and the sessions it opened are closed', async () => {
    const s = await login(w.e2.number);
    expect(
      (await w.retailcrm.inject({ method: 'GET', url: '/retailcrm-admin/api/state', headers: { cookie: s.cookie } }))
        .statusCode,
    ).toBe(200);
    await revokeLinks(w.sql, w.e2.number, 'test');
    expect((await exchange(s.link.token)).body).toContain('data-denied="revoked"');
    const after = await w.retailcrm.inject({
      method: 'GET',
      url: '/retailcrm-admin/api/state',
      headers: { cookie: s.cookie },
    });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('RCRM_ADMIN_NO_SESSION');
  });
});

describe("the admin API never serves another enterprise's data", () => {
  it("e1's session sees e1 only, whatever the request names; e2's CSRF token on e1's session → 403", async () => {
    await w.sql`insert into integration_logs (enterprise, integration, kind, phone, method, url, request, status_code, response, ok, latency_ms)
                values (${w.e2.number}, 'retailcrm', 'event', '375290000402', 'POST', '/e2-only', ${w.sql.json({ marker: 'E2-ONLY' })}, 200, 'E2-ONLY', true, 1)`;
    const a = await login(w.e1.number);
    const b = await login(w.e2.number);
    expect(a.state.enterprise.number).toBe(w.e1.number);
    for (const url of [
      `/retailcrm-admin/api/state?enterprise=${w.e2.number}`,
      `/retailcrm-admin/api/journal?enterprise=${w.e2.number}&phone=375290000402`,
    ]) {
      const res = await w.retailcrm.inject({ method: 'GET', url, headers: { cookie: a.cookie } });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('E2-ONLY');
      expect(res.body).not.toContain(`"number":"${w.e2.number}"`);
    }
    const crossCsrf = await w.retailcrm.inject({
      method: 'PUT',
      url: '/retailcrm-admin/api/managers',
      headers: { cookie: a.cookie, 'x-csrf-token': b.csrf },
      payload: { changes: [{ userId: '18', extension: '159' }], enterprise: w.e2.number },
    });
    expect(crossCsrf.statusCode).toBe(403);
    // A mutation naming e2 changes e1's own mapping only.
    const own = await w.retailcrm.inject({
      method: 'PUT',
      url: '/retailcrm-admin/api/managers',
      headers: { cookie: a.cookie, 'x-csrf-token': a.csrf },
      payload: { changes: [{ userId: '19', extension: '158' }], enterprise: w.e2.number },
    });
    expect(own.statusCode).toBe(200);
    const maps =
      await w.sql`select number, integrations_config->'retailcrm'->'user_extensions' as m from enterprises where number in (${w.e1.number}, ${w.e2.number}) order by number`;
    expect(maps.map((r) => r.m['19'])).toEqual(['158', '152']);
  });

  it('no session, a forged cookie or a missing CSRF token → 401/403 on every route', async () => {
    const a = await login(w.e1.number);
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['GET', '/state', {}, 401],
      ['GET', '/journal', { cookie: 'rcrm_admin=forged' }, 401],
      ['PUT', '/connection', { cookie: a.cookie }, 403],
      ['DELETE', '/connection', { cookie: a.cookie, 'x-csrf-token': 'forged' }, 403],
      ['POST', '/connection/check', { cookie: 'rcrm_admin=forged', 'x-csrf-token': a.csrf }, 403],
    ];
    for (const [method, path, headers, status] of cases) {
      const res = await w.retailcrm.inject({
        method: method as 'GET',
        url: `/retailcrm-admin/api${path}`,
        headers,
        payload: method === 'GET' ? undefined : {},
      });
      expect(`${method} ${path} ${res.statusCode}`).toBe(`${method} ${path} ${status}`);
    }
  });
});

describe('RetailCRM callbacks authenticate by the random clientId only', () => {
  const clicks = async (clientId: string) => {
    const q = new URLSearchParams({ clientId, code: '151', phone: '+375291234567', userId: '18' });
    return [
      await w.retailcrm.inject({ method: 'GET', url: `/retailcrm/make-call?${q}` }),
      await w.retailcrm.inject({
        method: 'POST',
        url: '/retailcrm/make-call',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: q.toString(),
      }),
      await w.retailcrm.inject({
        method: 'GET',
        url: `/retailcrm/status?${new URLSearchParams({ clientId, userId: '18', status: 'busy' })}`,
      }),
    ];
  };

  it.each([
    ['the enterprise number', () => w.e1.number],
    ['the enterprise number padded to a client id length', () => w.e1.number.padStart(16, '0')],
    ['the host token', () => w.e1.hostToken],
    ['the originate secret', () => w.e1.originateSecret],
    ['the API key', () => w.e1.apiKey],
    [
      'the client id with one character changed',
      () => w.e1.clientId.slice(0, -1) + (w.e1.clientId.endsWith('a') ? 'b' : 'a'),
    ],
    ['the client id upper-cased', () => w.e1.clientId.toUpperCase()],
    ['the client id with a trailing space', () => `${w.e1.clientId} `],
  ])('%s → 401, nothing journaled, no status stored', async (_name, clientId) => {
    const before = await w.sql`select count(*)::int as n from integration_logs where kind in ('make-call', 'status')`;
    for (const res of await clicks(clientId())) {
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('RCRM_UNKNOWN_CLIENT_ID');
    }
    expect(await w.sql`select count(*)::int as n from integration_logs where kind in ('make-call', 'status')`).toEqual(
      before,
    );
    expect(await w.sql`select * from retailcrm_manager_status`).toEqual([]);
  });

  it("another enterprise's client id acts for that enterprise only (e2 has no host: 422 naming e2)", async () => {
    const [get] = await clicks(w.e2.clientId);
    expect(get!.statusCode).toBe(422);
    expect(get!.json()).toMatchObject({ code: 'RCRM_NO_ASTERISK_HOST' });
    expect(get!.json().message).toContain(w.e2.number);
  });
});

describe('makecallexternal refuses any secret but the enterprise host’s originate secret', () => {
  it.each([
    ["another enterprise's originate secret (no host of its own)", () => w.e2.originateSecret],
    ["the enterprise's RetailCRM client id", () => w.e1.clientId],
    ['the host token', () => w.e1.hostToken],
    ['the enterprise number', () => w.e1.number],
    ['the originate secret upper-cased', () => w.e1.originateSecret.toUpperCase()],
    ['the originate secret truncated', () => w.e1.originateSecret.slice(0, 32)],
  ])('%s → 401, no originate recorded', async (_name, secret) => {
    for (const method of ['GET', 'POST'] as const) {
      const q = new URLSearchParams({ clientId: secret(), code: '151', phone: '375291234567' }).toString();
      const res =
        method === 'GET'
          ? await w.asterisk.inject({ method, url: `/api/makecallexternal?${q}` })
          : await w.asterisk.inject({
              method,
              url: '/api/makecallexternal',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: q,
            });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ success: false, code: 'AST_UNAUTHORIZED' });
    }
    expect(await w.sql`select * from originates`).toEqual([]);
  });
});

describe('internal endpoints refuse callers that are not on loopback', () => {
  const internal = (): Array<[string, App, 'GET' | 'POST', string, unknown]> => [
    ['gateway', w.gateway, 'POST', '/dispatch/call-event', { token: w.e1.hostToken, enterprise: w.e1.number }],
    ['gateway', w.gateway, 'POST', `/cache/invalidate/${w.e1.number}`, undefined],
    ['retailcrm', w.retailcrm, 'POST', '/internal/retailcrm/call-event', { enterprise: w.e1.number }],
    ['retailcrm', w.retailcrm, 'GET', `/internal/retailcrm/manager-status?enterprise=${w.e1.number}`, undefined],
    [
      'retailcrm',
      w.retailcrm,
      'GET',
      `/internal/retailcrm/caller?enterprise=${w.e1.number}&phone=375291234567`,
      undefined,
    ],
    [
      'asterisk',
      w.asterisk,
      'GET',
      `/api/makecallexternal?clientId=${w.e1.originateSecret}&code=151&phone=375291234567`,
      undefined,
    ],
    [
      'asterisk',
      w.asterisk,
      'POST',
      '/api/makecallexternal',
      { clientId: w.e1.originateSecret, code: '151', phone: '375291234567' },
    ],
  ];

  it.each(['10.1.2.3', '192.168.0.7', '2001:db8::1', '::ffff:10.0.0.1', '0.0.0.0', '127.0.0.1.evil'])(
    'from %s → 403 on every one, even claiming X-Forwarded-For/X-Real-IP 127.0.0.1',
    async (peer) => {
      for (const [service, app, method, url, payload] of internal()) {
        const res = await app.inject({
          method,
          url,
          remoteAddress: peer,
          headers: {
            'x-forwarded-for': '127.0.0.1',
            'x-real-ip': '127.0.0.1',
            ...(payload ? { 'content-type': 'application/json' } : {}),
          },
          ...(payload ? { payload: JSON.stringify(payload) } : {}),
        });
        expect(`${service} ${method} ${url.split('?')[0]} ${res.statusCode}`).toBe(
          `${service} ${method} ${url.split('?')[0]} 403`,
        );
      }
      expect(await w.sql`select * from originates`).toEqual([]);
    },
  );

  it('the same requests from loopback get past the guard (the control case)', async () => {
    for (const [service, app, method, url, payload] of internal()) {
      const res = await app.inject({ method, url, ...(payload ? { payload: payload as object } : {}) });
      expect(`${service} ${url.split('?')[0]} ${res.statusCode}`).not.toBe(`${service} ${url.split('?')[0]} 403`);
    }
  });
});
