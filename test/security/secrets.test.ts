// Secrets never leave (issue 7 §4): API keys, bot tokens, webhook secrets, JWTs (the signing key and
// the admin links), SSH private keys, originate secrets, host tokens, RetailCRM client ids and session
// cookies are absent from every log line, HTML page, API answer meant for a browser and Telegram
// message. Every seeded secret carries a marker (-LEAK-) no legitimate output contains, so a scan also
// catches a truncated one. First the services in-process (their pino output captured, workers on: call
// processing, Telegram cards, invites), then the fleet as processes (test/e2e/harness.ts: the logger
// each server.ts configures).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLink } from '../../packages/retailcrm-admin/src/index.ts';
import {
  addConnectedEnterprise,
  API_KEY,
  loadEvents,
  replay,
  startFleet,
  waitFor,
  type Fleet,
} from '../e2e/harness.ts';
import { createWorld, type World } from '../fuzz/world.ts';
import { claimsFor, hmacJwt, noneJwt } from './tokens.ts';

const SSH_KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQSSHKEY-LEAK-0000000000000000\n-----END OPENSSH PRIVATE KEY-----\n';

/** The places a secret was found in `texts` (each a [where, text] pair). */
function scan(texts: Array<[string, string]>, secrets: string[]): string[] {
  const found: string[] = [];
  for (const [where, text] of texts) {
    for (const s of [...secrets, '-LEAK-', 'PRIVATE KEY'])
      if (s && text.includes(s))
        found.push(`${where}: ${s} in ${text.slice(Math.max(0, text.indexOf(s) - 120), text.indexOf(s) + 80)}`);
  }
  return found;
}

describe('the services in-process: logs, pages, browser answers, Telegram', () => {
  let w: World;
  let keyDir: string;
  const pages: Array<[string, string]> = [];
  const issued: string[] = [];
  const CHATS = [5550001, 5550002];

  const keep = <R extends { body: string; headers: Record<string, unknown> }>(where: string, res: R): R => {
    pages.push([where, res.body], [`${where} headers`, JSON.stringify(res.headers)]);
    return res;
  };

  beforeAll(async () => {
    w = await createWorld({ workers: true });
    keyDir = mkdtempSync(join(tmpdir(), 'fleet-sec-key-'));
    writeFileSync(join(keyDir, 'id_ed25519'), SSH_KEY, { mode: 0o600 });
    await w.sql`update asterisk_hosts set key_file = ${join(keyDir, 'id_ed25519')} where enterprise = ${w.e1.number}`;
    for (const [i, chat] of CHATS.entries()) {
      await w.sql`insert into telegram_recipients (enterprise, chat_id, user_id, kind, extension)
                  values (${w.e1.number}, ${chat}, ${chat}, ${i === 0 ? 'owner' : 'manager'}, ${i === 1 ? '151' : null})`;
    }
  }, 60_000);
  afterAll(async () => {
    await w?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('a day of work: calls with Telegram cards, invites, admin pages and API, callbacks, click-to-call, refusals', async () => {
    // Host events (token in the body and in the header), a retransmission, refusals.
    const events = loadEvents('2-1');
    for (const [i, e] of events.entries()) {
      const { Token: _recorded, ...body } = e.body;
      const res = await w.intake.inject({
        method: 'POST',
        url: `/${e.event}`,
        payload: { ...body, ...(i % 2 ? { Token: w.e1.hostToken } : {}) },
        headers: i % 2 ? {} : { token: `"${w.e1.hostToken}"` },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    // JSON.parse's message quotes the text around the error: the token must not ride along.
    keep(
      'intake refusal',
      await w.intake.inject({ method: 'POST', url: '/dial', payload: `{"Token":"${w.e2.hostToken}", "UniqueId": 1,` }),
    );
    keep(
      'intake refusal',
      await w.intake.inject({ method: 'POST', url: '/dial', payload: `{"Token":"${w.e2.hostToken}", UniqueId: 1}` }),
    );
    keep(
      'intake refusal',
      await w.intake.inject({ method: 'POST', url: '/dial', payload: `{"Token":"${w.e2.hostToken}"}}` }),
    );
    keep(
      'intake refusal',
      await w.intake.inject({ method: 'POST', url: '/dial', payload: { Token: w.e3.hostToken, UniqueId: '1' } }),
    );

    // Telegram: an invite, a wrong one, /stop, a button, a webhook with the wrong secret.
    await w.sql`insert into telegram_invites (code, enterprise, kind, expires_at) values ('INVITE-code-0001', ${w.e1.number}, 'manager', now() + interval '1 day')`;
    const hook = (update: object, secret = w.e1.webhookSecret) =>
      w.intake.inject({
        method: 'POST',
        url: `/telegram/webhook/${w.e1.botId}`,
        headers: { 'x-telegram-bot-api-secret-token': secret },
        payload: update,
      });
    expect(
      (
        await hook({
          update_id: 1,
          message: {
            message_id: 1,
            text: '/start INVITE-code-0001',
            chat: { id: 5550003, type: 'private' },
            from: { id: 5550003 },
          },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await hook({
          update_id: 2,
          message: {
            message_id: 2,
            text: `/start ${w.e1.botToken}`,
            chat: { id: 5550004, type: 'private' },
            from: { id: 5550004 },
          },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await hook({
          update_id: 3,
          message: { message_id: 3, text: '/stop', chat: { id: 5550003, type: 'private' }, from: { id: 5550003 } },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await hook({ update_id: 4, callback_query: { id: '77', data: 'call:1', from: { id: 5550002 } } })).statusCode,
    ).toBe(200);
    expect(keep('webhook refusal', await hook({ update_id: 5 }, w.e2.webhookSecret)).statusCode).toBe(401);

    // The admin: a link exchange, every denied page, the page, its API, a connection saved and the
    // module registered at the fake CRM (the accountUrl carries a fresh link JWT), the journal.
    const link = await issueLink(w.sql, w.jwtSecret, w.e1.number, 'operator', 30);
    issued.push(link.token, link.token.split('.')[2]!);
    // Its Set-Cookie carries the session id by design; the rest of the answer is scanned.
    const auth = await w.retailcrm.inject({ method: 'GET', url: `/retailcrm-admin/auth?token=${link.token}` });
    keep('link exchange', { body: auth.body, headers: { ...auth.headers, 'set-cookie': undefined } });
    expect(auth.statusCode).toBe(303);
    const id = auth.cookies.find((c: { name: string }) => c.name === 'rcrm_admin')!.value;
    issued.push(id);
    let cookie = `rcrm_admin=${id}`;
    for (const bad of [
      noneJwt(claimsFor(w.e1.number, link.jti)),
      hmacJwt('HS512', w.jwtSecret, claimsFor(w.e1.number, link.jti)),
      '',
      'x.y.z',
    ]) {
      keep(
        'denied page',
        await w.retailcrm.inject({ method: 'GET', url: `/retailcrm-admin/auth?token=${encodeURIComponent(bad)}` }),
      );
    }
    keep(
      'denied page',
      await w.retailcrm.inject({
        method: 'POST',
        url: '/retailcrm-admin/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${link.token}&clientId=${w.e2.clientId}`,
      }),
    );
    keep('denied page', await w.retailcrm.inject({ method: 'GET', url: '/retailcrm-admin/' }));
    keep('admin page', await w.retailcrm.inject({ method: 'GET', url: '/retailcrm-admin/', headers: { cookie } }));
    const state = keep(
      'state',
      await w.retailcrm.inject({ method: 'GET', url: '/retailcrm-admin/api/state', headers: { cookie } }),
    );
    cookie += `; rcrm_csrf=${state.cookies.find((c: { name: string }) => c.name === 'rcrm_csrf')!.value}`;
    const csrf = state.json().csrfToken as string;
    const api = (method: string, path: string, payload?: object) =>
      w.retailcrm.inject({
        method: method as 'GET',
        url: `/retailcrm-admin/api${path}`,
        headers: { cookie, 'x-csrf-token': csrf },
        ...(payload ? { payload } : {}),
      });
    keep('check', await api('POST', '/connection/check', { domain: w.crmUrl, apiKey: w.e1.apiKey }));
    keep('check wrong key', await api('POST', '/connection/check', { domain: w.crmUrl, apiKey: `${w.e2.apiKey}-x` }));
    const saved = keep(
      'save',
      await api('PUT', '/connection', { domain: w.crmUrl, apiKey: w.e1.apiKey, enabled: true }),
    );
    expect(saved.json().registration.ok, saved.body).toBe(true);
    const [row] =
      await w.sql`select jti from retailcrm_admin_links where enterprise = ${w.e1.number} and kind = 'module' and revoked_at is null`;
    issued.push(hmacJwt('HS256', w.jwtSecret, claimsFor(w.e1.number, row!.jti)).split('.')[2]!);
    keep('managers', await api('GET', '/managers'));
    keep('mapping', await api('PUT', '/managers', { changes: [{ userId: '18', extension: '151' }] }));
    keep('state after', await api('GET', '/state'));
    keep('journal', await api('GET', '/journal'));
    keep('journal p2', await api('GET', '/journal?page=2'));

    // RetailCRM's callbacks, the hosts' getcustomerdata, click-to-call (the host's key file is read).
    keep(
      'make-call',
      await w.retailcrm.inject({
        method: 'GET',
        url: `/retailcrm/make-call?clientId=${w.e2.clientId}&code=151&phone=375291234567&userId=18`,
      }),
    );
    keep(
      'make-call',
      await w.retailcrm.inject({
        method: 'GET',
        url: `/retailcrm/make-call?clientId=${w.e1.clientId}x&code=151&phone=375291234567`,
      }),
    );
    keep(
      'status',
      await w.retailcrm.inject({
        method: 'GET',
        url: `/retailcrm/status?clientId=${w.e1.clientId}&userId=18&status=busy`,
      }),
    );
    keep(
      'customer',
      await w.retailcrm.inject({
        method: 'POST',
        url: '/api/callevent/getcustomerdata',
        headers: { token: w.e1.hostToken },
        payload: { Phone: '375291234567' },
      }),
    );
    const click = keep(
      'originate',
      await w.asterisk.inject({
        method: 'GET',
        url: `/api/makecallexternal?clientId=${w.e1.originateSecret}&code=151&phone=375291234567&wait=0`,
      }),
    );
    expect(click.statusCode).toBe(502); // the key file is no key: refused before any connection
    keep(
      'originate refusal',
      await w.asterisk.inject({
        method: 'GET',
        url: `/api/makecallexternal?clientId=${w.e3.originateSecret}&code=151&phone=375291234567`,
      }),
    );
    keep(
      'dispatch',
      await w.gateway.inject({
        method: 'POST',
        url: '/dispatch/call-event',
        payload: { token: w.e2.hostToken, enterprise: w.e1.number },
      }),
    );

    // Let the processor and the card worker finish what the calls started.
    await waitFor(
      'Telegram cards for the call',
      () => w.telegram.messages(w.e1.botToken, CHATS[0]!).length > 0,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
  }, 90_000);

  it('no secret in any log line the services wrote', () => {
    expect(w.logs.lines.length).toBeGreaterThan(20);
    expect(
      scan(
        w.logs.lines.map((l, i): [string, string] => [`log ${i}`, l]),
        [...w.secrets(), ...issued],
      ),
    ).toEqual([]);
  });

  it('no secret in any HTML page or browser answer (a CSRF token and the masked key only)', () => {
    expect(pages.filter(([where]) => where === 'denied page').every(([, body]) => body.includes('data-denied='))).toBe(
      true,
    );
    expect(scan(pages, [...w.secrets(), ...issued])).toEqual([]);
  });

  it('no secret in any Telegram message (cards, replies, answers to buttons)', () => {
    const texts: Array<[string, string]> = [];
    for (const e of [w.e1, w.e2, w.e3]) {
      for (const chat of w.telegram.chats(e.botToken)) {
        for (const m of w.telegram.messages(e.botToken, chat))
          texts.push([`chat ${chat}`, `${m.text} ${JSON.stringify(m.replyMarkup ?? null)}`]);
      }
    }
    expect(texts.length).toBeGreaterThan(2);
    expect(scan(texts, [...w.secrets(), ...issued])).toEqual([]);
  });
});

describe('the fleet as processes (e2e harness): every log line', () => {
  let f: Fleet;
  const TOKEN = 'HOSTTOKEN-LEAK-e2e-5f0c1d';
  beforeAll(async () => {
    f = await startFleet();
  }, 120_000);
  afterAll(() => f?.stop());

  it('a replayed call, callbacks with the client id in the query, a link exchange: no secret in the logs', async () => {
    await addConnectedEnterprise(f, '510', TOKEN);
    await replay(f, loadEvents('2-1'), TOKEN);
    await waitFor('the history record at the CRM', () => f.crm.state.uploads.length > 0, 30_000);
    const crm = `http://127.0.0.1:${f.ports.retailcrm}`;
    await fetch(`${crm}/retailcrm/make-call?clientId=client-510&code=151&phone=375291234567&userId=18`);
    await fetch(`${crm}/retailcrm/status?clientId=client-510&userId=18&status=free`);
    await fetch(
      `${crm}/retailcrm-admin/auth?token=${hmacJwt('HS256', 'JWT-LEAK-not-the-key-0123456789abcdef', claimsFor('510', 'x'))}`,
    );
    await fetch(`${crm}/api/callevent/getcustomerdata`, {
      method: 'POST',
      headers: { token: TOKEN, 'content-type': 'application/json' },
      body: '{"Phone":"375291234567"}',
    });
    await fetch(`${f.intakeUrl}/dial`, {
      method: 'POST',
      headers: { token: `"${TOKEN}"` },
      body: `{"UniqueId":"x", "Token": "${TOKEN}",`,
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(f.logs.length).toBeGreaterThan(10);
    expect(
      scan(
        f.logs.map((l, i): [string, string] => [`log ${i}`, l]),
        [API_KEY, TOKEN, 'client-510'],
      ),
    ).toEqual([]);
  });
});
