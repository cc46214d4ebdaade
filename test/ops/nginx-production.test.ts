// The production site as shipped (nginx/fleet.conf with its upstreams, locations and proxy settings)
// under the real nginx: `nginx -t` passes with the TLS placeholders pointed at a throwaway
// certificate, host events fail over between call-intake instances, a hung instance still gets the
// host an answer inside its 3 s limit, and internal paths (/metrics among them) never leave nginx.
// Only the listen ports, certificate paths and upstream ports are rewritten for the test.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITE, scratchNginx, type ScratchNginx } from '../support/nginx.ts';
import { freePort } from '../support/net.ts';

/** One request (the throwaway certificate is not trusted; redirects are not followed). */
function call(
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; location?: string; text: string }> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((ok, fail) => {
    const req = send(u, { method: init.method ?? 'GET', rejectUnauthorized: false, agent: false }, (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c) => (text += c))
        .on('end', () => ok({ status: res.statusCode!, location: res.headers.location, text }));
    });
    req.on('error', fail);
    req.end(init.body);
  });
}
const seen: string[] = [];
let dir: string;
let nginx: ScratchNginx | undefined;
const servers: Server[] = [];
let https: string;
let http: string;

function standIn(name: string, hang = false): Promise<number> {
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      seen.push(`${name} ${req.method} ${req.url}`);
      req.resume();
      if (!hang) req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
    });
    servers.push(server);
    server.listen(0, '127.0.0.1', () => ok((server.address() as { port: number }).port));
  });
}
describe('nginx production site (nginx/fleet.conf)', () => {
  let ports: { down: number; intake: number; hung: number; retailcrm: number };

  beforeAll(async () => {
    nginx = scratchNginx('fleet-nginx-prod-');
    dir = nginx.dir;
    const cert = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=pbx.example.com',
        '-keyout',
        join(dir, 'privkey.pem'),
        '-out',
        join(dir, 'fullchain.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(cert.status, cert.stderr).toBe(0);
    ports = {
      down: await freePort(),
      intake: await standIn('call-intake'),
      hung: 0,
      retailcrm: await standIn('retailcrm'),
    };
    const [p80, p443] = [await freePort(), await freePort()];
    http = `http://127.0.0.1:${p80}`;
    https = `https://127.0.0.1:${p443}`;
    for (const file of readdirSync(SITE).filter((f) => f.endsWith('.conf'))) {
      let text = readFileSync(join(SITE, file), 'utf8');
      text = text
        .replaceAll('/etc/letsencrypt/live/pbx.example.com', dir)
        .replace(/listen 80;/g, `listen 127.0.0.1:${p80};`)
        .replace(/listen 443 ssl http2;/g, `listen 127.0.0.1:${p443} ssl http2;`)
        // first call-intake instance: nothing listens (a stopped instance); second: a stand-in
        .replace('127.0.0.1:8000 ', `127.0.0.1:${ports.down} `)
        .replace('127.0.0.1:8001 ', `127.0.0.1:${ports.intake} `)
        .replace('127.0.0.1:8019 ', `127.0.0.1:${ports.retailcrm} `);
      writeFileSync(join(dir, file), text);
    }
    nginx.configure('  include fleet.conf;');
    const check = nginx.check();
    expect(check.status, check.stderr).toBe(0);
    await nginx.start(() => call(`${http}/`));
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(
      servers.map(
        (s) =>
          new Promise((r) => {
            s.closeAllConnections();
            s.close(r);
          }),
      ),
    );
  });

  it('passes nginx -t with every file of nginx/ (TLS placeholders → a throwaway certificate)', () => {
    // beforeAll ran `nginx -t` on exactly these files; this states what was checked.
    expect(readdirSync(dir).filter((f) => f.startsWith('fleet'))).toEqual(
      expect.arrayContaining(['fleet.conf', 'fleet-locations.conf', 'fleet-proxy.conf', 'fleet-upstreams.conf']),
    );
  });

  it('sends host events to a live call-intake instance when another one is down, over https and http', async () => {
    for (const base of [https, http]) {
      for (let i = 0; i < 4; i++) {
        const res = await call(`${base}/dial`, { method: 'POST', body: '{}' });
        expect(res.status).toBe(200);
        expect(res.text).toBe('call-intake');
      }
    }
    expect((await call(`${https}/retailcrm-admin/`)).text).toBe('retailcrm');
    const redirect = await call(`${http}/retailcrm-admin/`);
    expect(redirect.status).toBe(301);
    expect(redirect.location).toMatch(/^https:\/\//);
  });

  it('keeps /metrics and the other internal paths inside nginx', async () => {
    const before = seen.length;
    for (const path of [
      '/metrics',
      '/health',
      '/stats',
      '/ready',
      '/dispatch/call-event',
      '/internal/retailcrm/call-event',
    ]) {
      for (const base of [https, http]) {
        const res = await call(base + path);
        expect(`${base} ${path} ${res.status}`).toMatch(/ (404|301)$/);
      }
    }
    expect(seen.length).toBe(before);
  });

  it('answers a host within its 3 s limit when no call-intake instance answers', async () => {
    // One instance hangs, the other is down: nginx gives up on the hung one after 1.5 s, finds the
    // other refusing, and answers an error (the host retries) well before the host's 3 s.
    servers
      .find((s) => (s.address() as { port: number }).port === ports.intake)!
      .removeAllListeners('request')
      .on('request', (req) => {
        seen.push(`hung ${req.method} ${req.url}`);
        req.resume();
      });
    const started = performance.now();
    const res = await call(`${https}/hangup`, { method: 'POST', body: '{}' });
    const elapsed = performance.now() - started;
    expect([502, 504]).toContain(res.status);
    expect(seen.at(-1)).toBe('hung POST /hangup');
    expect(elapsed).toBeLessThan(3000);
  });
});
