// Internal endpoints through the real nginx (issue 7 §4). Behind nginx every request arrives from
// 127.0.0.1, so the services' loopback guards let a proxied request through: the site config in
// nginx/ is the only wall. Here the real services listen on loopback, the real nginx runs the site's
// locations in front of them, and raw requests (a raw socket, so that `..`, `%2e`, `%2f`, double
// slashes and absolute-form targets reach nginx unnormalised, as an attacker would send them) try to
// reach /internal, /dispatch, /cache, makecallexternal, manager-status, /stats, /metrics, /ready.
// Never skipped: without an nginx binary it fails (`pnpm test` installs one: test/setup/system-deps.ts).
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type App, type World } from '../fuzz/world.ts';
import { SITE, scratchNginx, type ScratchNginx } from '../support/nginx.ts';

let w: World;
let nginx: ScratchNginx | undefined;
let port: number;

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });

async function listen(app: App): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

/** One HTTP/1.1 exchange over a raw socket: the request line goes out byte for byte. */
function raw(request: string): Promise<{ status: number; body: string; text: string }> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (text += d));
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1] ?? 0);
      ok({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4), text });
    });
    socket.on('error', fail);
    socket.write(request);
  });
}

const req = (method: string, target: string, body = '', headers = '') =>
  raw(
    `${method} ${target} HTTP/1.1\r\nHost: pbx.example.com\r\nConnection: close\r\n${headers}` +
      (body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '') +
      `\r\n${body}`,
  );

describe('internal endpoints are not exposed through the nginx site config', () => {
  beforeAll(async () => {
    w = await createWorld();
    await w.sql`insert into retailcrm_manager_status (enterprise, user_id, code, status, changed_at) values (${w.e1.number}, 18, '151', 'busy', now())`;
    const intakePort = await listen(w.intake);
    const retailcrmPort = await listen(w.retailcrm);
    await listen(w.gateway);
    await listen(w.asterisk);
    nginx = scratchNginx('fleet-nginx-sec-');
    port = await freePort();
    nginx.configure(`
  upstream fleet_call_intake { server 127.0.0.1:${intakePort}; keepalive 4; }
  upstream fleet_retailcrm { server 127.0.0.1:${retailcrmPort}; keepalive 4; }
  server {
    listen 127.0.0.1:${port};
    include ${SITE}/fleet-proxy.conf;
    include ${SITE}/fleet-locations.conf;
  }`);
    const check = nginx.check();
    expect(check.status, check.stderr).toBe(0);
    await nginx.start(`http://127.0.0.1:${port}/nothing`);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await w?.close();
  });

  it('public paths reach the real services (the control case)', async () => {
    const start = await req(
      'POST',
      '/start',
      JSON.stringify({ Token: w.e1.hostToken, UniqueId: 'ngx.1', CallType: 0, Phone: '375440000001' }),
    );
    expect(start.status).toBe(200);
    expect(start.body).toContain('Event queued for processing');
    const click = await req('GET', '/retailcrm/make-call?clientId=nobody-nobody-nobody&code=151&phone=375291234567');
    expect(click.status).toBe(401);
    expect(click.body).toContain('RCRM_UNKNOWN_CLIENT_ID');
  });

  const m = 'enterprise=401';
  it.each([
    ['GET', `/internal/retailcrm/manager-status?${m}`],
    ['GET', `/Internal/retailcrm/manager-status?${m}`],
    ['GET', `/%69nternal/retailcrm/manager-status?${m}`],
    ['GET', `//internal/retailcrm/manager-status?${m}`],
    ['GET', `/./internal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm/../internal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm/%2e%2e/internal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm/..%2finternal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm/%2e%2e%2finternal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm-admin/../internal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm-admin/..%2F..%2Finternal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm/make-call/../../internal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm/%252e%252e/internal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm\\..\\internal/retailcrm/manager-status?${m}`],
    ['GET', `/retailcrm/;/../internal/retailcrm/manager-status?${m}`],
    ['GET', `http://127.0.0.1/internal/retailcrm/manager-status?${m}`],
    ['GET', `/internal/retailcrm/manager-status%3F${m}`],
    ['POST', '/internal/retailcrm/call-event'],
    ['POST', '/telegram/webhook/../../internal/retailcrm/call-event'],
    ['POST', '/start/../internal/retailcrm/call-event'],
    ['POST', '/dispatch/call-event'],
    ['POST', '/start/..%2fdispatch/call-event'],
    ['POST', '/cache/invalidate/401'],
    ['GET', '/api/makecallexternal?clientId=x&code=151&phone=375291234567'],
    ['POST', '/api/makecallexternal'],
    ['GET', '/retailcrm/../api/makecallexternal?clientId=x'],
    ['GET', '/stats'],
    ['GET', '/health'],
    ['GET', '/ready'],
    ['GET', '/metrics'],
    ['GET', '/retailcrm/../metrics'],
    ['GET', '/integrations/401'],
  ])('%s %s → refused without reaching an internal handler', async (method, target) => {
    const res = await req(
      method,
      target,
      method === 'POST' ? JSON.stringify({ enterprise: '401', token: w.e1.hostToken }) : '',
    );
    expect([400, 403, 404, 405], res.text.slice(0, 300)).toContain(res.status);
    // What the internal handlers would have answered: the manager status, a call-event report, an
    // originate reply, stats, metrics, readiness.
    for (const leak of [
      '"managers"',
      '"steps"',
      'enterprise_number',
      '"groupCommit"',
      '# HELP',
      '"retailcrm":',
      '"status":"accepted"',
      '"database"',
    ]) {
      expect(res.body, `${method} ${target}`).not.toContain(leak);
    }
  });
});
