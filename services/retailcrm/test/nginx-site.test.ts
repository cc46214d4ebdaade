// nginx/ against the real nginx: the site's locations and proxy settings pass `nginx -t`, public
// paths reach the right service, internal ones never leave nginx. Stand-in upstreams on loopback
// record what they receive. Skipped only when no nginx binary exists (CI installs it: .ci/run).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const SITE = resolve(import.meta.dirname, '../../../nginx');
const seen: Array<{ upstream: string; method: string; url: string; realIp: string | undefined }> = [];
let dir: string;
let proxy: ChildProcess | undefined;
let upstreams: Server[] = [];
let base: string;

function standIn(name: string): Promise<{ server: Server; port: number }> {
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      seen.push({ upstream: name, method: req.method!, url: req.url!, realIp: req.headers['x-real-ip'] as string | undefined });
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

describe.skipIf(!existsSync(NGINX))('nginx site config', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleet-nginx-'));
    chmodSync(dir, 0o777);
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { mode: 0o777 });
    const intake = await standIn('call-intake');
    const retailcrm = await standIn('retailcrm');
    upstreams = [intake.server, retailcrm.server];
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream fleet_call_intake { server 127.0.0.1:${intake.port}; keepalive 4; }
  upstream fleet_retailcrm { server 127.0.0.1:${retailcrm.port}; keepalive 4; }
  server {
    listen 127.0.0.1:${port};
    include ${SITE}/fleet-proxy.conf;
    include ${SITE}/fleet-locations.conf;
  }
}
`,
    );
    const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    proxy = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${base}/nothing`).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 30_000);

  afterAll(async () => {
    proxy?.kill('SIGQUIT');
    await new Promise((r) => (proxy && proxy.exitCode === null ? proxy.once('exit', r) : r(null)));
    await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
    if (dir) rmSync(dir, { recursive: true, force: true });
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
