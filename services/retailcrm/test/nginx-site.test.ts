// nginx/ against the real nginx: the site's locations and proxy settings pass `nginx -t`, public
// paths reach the right service, internal ones never leave nginx. Stand-in upstreams on loopback
// record what they receive. Never skipped: without an nginx binary it fails (`pnpm test` installs one: test/setup/system-deps.ts).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITE, scratchNginx, type ScratchNginx } from '../../../test/support/nginx.ts';

const seen: Array<{ upstream: string; method: string; url: string; realIp: string | undefined }> = [];
let nginx: ScratchNginx | undefined;
let upstreams: Server[] = [];
let base: string;

function standIn(name: string): Promise<{ server: Server; port: number }> {
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      seen.push({
        upstream: name,
        method: req.method!,
        url: req.url!,
        realIp: req.headers['x-real-ip'] as string | undefined,
      });
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
    });
    server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as { port: number }).port }));
  });
}

async function freePort(): Promise<number> {
  const { server, port } = await standIn('probe');
  await new Promise((r) => server.close(r));
  return port;
}

describe('nginx site config', () => {
  beforeAll(async () => {
    nginx = scratchNginx('fleet-nginx-');
    const intake = await standIn('call-intake');
    const retailcrm = await standIn('retailcrm');
    upstreams = [intake.server, retailcrm.server];
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    nginx.configure(`
  upstream fleet_call_intake { server 127.0.0.1:${intake.port}; keepalive 4; }
  upstream fleet_retailcrm { server 127.0.0.1:${retailcrm.port}; keepalive 4; }
  server {
    listen 127.0.0.1:${port};
    include ${SITE}/fleet-proxy.conf;
    include ${SITE}/fleet-locations.conf;
  }`);
    const check = nginx.check();
    expect(check.status, check.stderr).toBe(0);
    await nginx.start(`${base}/nothing`);
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
  });

  it('proxies the admin page and RetailCRM callbacks to retailcrm, host events and webhooks to call-intake', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/retailcrm-admin/auth?token=abc', 'retailcrm'],
      ['POST', '/retailcrm-admin/api/connection/check', 'retailcrm'],
      ['GET', '/retailcrm/make-call?clientId=x', 'retailcrm'],
      ['POST', '/retailcrm/status', 'retailcrm'],
      ['POST', '/start', 'call-intake'],
      ['POST', '/bridge_destroy', 'call-intake'],
      ['POST', '/telegram/webhook/123', 'call-intake'],
    ];
    for (const [method, path, upstream] of cases) {
      const res = await fetch(base + path, { method, body: method === 'POST' ? '{}' : undefined });
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 200`);
      expect(await res.text()).toBe(upstream);
      expect(seen.at(-1)).toMatchObject({ upstream, method, url: path, realIp: '127.0.0.1' });
    }
  });

  it('refuses internal endpoints and everything else without reaching a service', async () => {
    const before = seen.length;
    const cases: Array<[string, string, number]> = [
      ['POST', '/internal/retailcrm/call-event', 404],
      ['GET', '/internal/retailcrm/manager-status', 404],
      ['GET', '/internal/retailcrm/caller?enterprise=1&phone=375291234567', 404],
      ['POST', '/dispatch', 404],
      ['POST', '/dispatch/retailcrm', 404],
      ['POST', '/cache/evict', 404],
      ['GET', '/stats', 404],
      ['GET', '/health', 404],
      ['GET', '/metrics', 404],
      ['GET', '/ready', 404],
      ['GET', '/start', 403],
      ['GET', '/', 404],
      ['GET', '/retailcrm-adminx', 404],
    ];
    for (const [method, path, status] of cases) {
      const res = await fetch(base + path, { method, body: method === 'POST' ? '{}' : undefined, redirect: 'manual' });
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} ${status}`);
    }
    expect(seen.length).toBe(before);
    const redirect = await fetch(`${base}/retailcrm-admin`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
  });
});
