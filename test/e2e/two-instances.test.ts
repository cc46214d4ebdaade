// Issue 7 §5: two instances of every service (two nodes: call-intake + gateway + retailcrm each, own
// ports, one PostgreSQL) behind the real nginx with the site's locations and an upstream of both
// call-intakes (round-robin). De-risks: a config change reaches both gateways' caches through NOTIFY
// within a second; a replay spread over both call-intakes gives no duplicate CRM record or Telegram
// message — the database decides who delivers what (processor: state row FOR UPDATE; dispatcher and
// gateway: FOR UPDATE SKIP LOCKED; retailcrm: step leases; Telegram: card leases); with the per-key
// and per-bot limits halved per instance (README "Scaling out: two instances"), two instances stay
// under RetailCRM's and Telegram's limits together.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { replayEvents } from '@fleet/cli';
import { count, pendingBreakdown } from '../faults/counts.ts';
import { hosts, plan } from '../faults/plan.ts';
import { createRng } from '../support/rng.ts';
import { addEnterprise, startWorld, TG_LIMITS, type World } from '../faults/world.ts';
import { freePort, sleep, waitFor } from './harness.ts';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const SITE = resolve(import.meta.dirname, '../../nginx');
const RETAILCRM_RATE_TELEPHONY = 40;
const rng = createRng(7);
const hs = hosts(12);
const runs = plan(rng.fork(), hs, 80);

let w: World;
let dir: string;
let nginx: ChildProcess | undefined;
let base: string;

beforeAll(async () => {
  w = await startWorld({
    rng: rng.fork(),
    telegram429Ratio: 0,
    bots: hs.length,
    nodes: 2,
    // In-memory limiters are per instance: each of the two gets half of RetailCRM's per-key limit
    // and of Telegram's per-bot and per-chat limits, so together they stay under them.
    nodeEnv: () => ({
      RETAILCRM_RATE_TELEPHONY: String(RETAILCRM_RATE_TELEPHONY / 2),
      TELEGRAM_BOT_PER_SECOND: String(TG_LIMITS.botPerSecond / 2),
      TELEGRAM_PRIVATE_PER_SECOND: String(TG_LIMITS.privatePerSecond / 2),
      TELEGRAM_PRIVATE_BURST: String(Math.max(1, Math.floor(TG_LIMITS.privateBurst / 2))),
      TELEGRAM_GROUP_PER_MINUTE: String(Math.floor(TG_LIMITS.groupPerMinute / 2)),
    }),
  });
  for (const h of hs) await addEnterprise(w, { number: h.enterprise, token: h.token, bot: h.bot, chats: h.chats });

  dir = mkdtempSync(join(tmpdir(), 'fleet-two-nginx-'));
  chmodSync(dir, 0o777);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { mode: 0o777 });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const hostPort = (u: string) => u.replace('http://', '');
  // nginx/fleet-upstreams.conf with this run's ports (same shape: both call-intakes, round-robin).
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  log_format upstream '$upstream_addr $status';
  access_log ${dir}/access.log upstream;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream fleet_call_intake {
    server ${hostPort(w.nodes[0]!.intakeUrl)} max_fails=2 fail_timeout=5s;
    server ${hostPort(w.nodes[1]!.intakeUrl)} max_fails=2 fail_timeout=5s;
    keepalive 32;
  }
  upstream fleet_retailcrm {
    server ${hostPort(w.nodes[0]!.retailcrmUrl)} max_fails=2 fail_timeout=5s;
    server ${hostPort(w.nodes[1]!.retailcrmUrl)} backup;
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    include ${SITE}/fleet-proxy.conf;
    include ${SITE}/fleet-locations.conf;
  }
}
`,
  );
  const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t: ${check.stderr}`);
  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await waitFor(
    'nginx',
    () =>
      fetch(`${base}/nothing`).then(
        () => true,
        () => false,
      ),
    10_000,
  );
}, 300_000);

afterAll(async () => {
  if (process.env.FAULTS_LOG_FILE && w) writeFileSync(process.env.FAULTS_LOG_FILE, w.logs.join('\n'));
  nginx?.kill('SIGQUIT');
  if (nginx && nginx.exitCode === null) await new Promise((r) => nginx!.once('exit', r));
  await w?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail')
    console.log(
      w.logs
        .filter((l) => /"level":(40|50|60)/.test(l))
        .slice(-40)
        .join('\n'),
    );
});

const integrations = async (gatewayUrl: string, enterprise: string) =>
  ((await (await fetch(`${gatewayUrl}/integrations/${enterprise}`)).json()) as { retailcrm?: boolean }).retailcrm;

describe.skipIf(!existsSync(NGINX))('two instances of every service behind nginx', () => {
  it('brings a config change to both gateways through NOTIFY within a second', async () => {
    const e = hs[0]!.enterprise;
    for (const n of w.nodes) expect(await integrations(n.gatewayUrl, e)).toBe(true); // both caches warm
    for (const enabled of [false, true]) {
      const changed = Date.now();
      await w.sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,enabled}', ${w.sql.json(enabled)})
                  where number = ${e}`;
      const took = await Promise.all(
        w.nodes.map((n) =>
          waitFor(
            `gateway${n.suffix} sees enabled=${enabled}`,
            async () => (await integrations(n.gatewayUrl, e)) === enabled,
            5000,
          ).then(() => Date.now() - changed),
        ),
      );
      console.log(
        `two instances: retailcrm enabled=${enabled} seen by both gateways after ${took.join(' / ')} ms (cache TTL 90 s: only NOTIFY can do it)`,
      );
      for (const ms of took) expect(ms).toBeLessThan(1000);
    }
  });

  it('delivers a replay spread over both call-intakes exactly once to the CRM and to Telegram', async () => {
    await Promise.all(
      hs.map(async (h) => {
        for (const run of runs.filter((r) => r.host === h)) {
          const results = await replayEvents(run.events, { intake: base, speed: 0 });
          expect(results.filter((r) => r.status !== 200)).toEqual([]);
          await sleep(6500); // the call model's settle and close timers (test/faults/faults.test.ts SCENARIO_GAP_MS)
        }
      }),
    );
    const upstreams = new Map<string, number>();
    for (const line of readFileSync(join(dir, 'access.log'), 'utf8').split('\n')) {
      const [addr] = line.split(' ');
      if (addr && addr !== '-') upstreams.set(addr, (upstreams.get(addr) ?? 0) + 1);
    }
    const customers = runs.flatMap((r) => r.calls.filter((c) => c.kind === 'customer').map((c) => c.callId));
    await waitFor(
      'every customer call at the CRM and every card sent',
      async () => {
        const up = new Set(w.crm.state.uploads.map((u) => String(u.call.externalId)));
        const [p] = await w.sql<{ n: number }[]>`
        select (select count(*) from intake_outbox where status = 'pending')
             + (select count(*) from telegram_cards where status = 'pending') + (select count(*) from call_events where processed_at is null) as n`;
        return customers.every((id) => up.has(id)) && Number(p!.n) === 0;
      },
      150_000,
    ).catch(async (err) => {
      console.log(await pendingBreakdown(w, customers));
      throw err;
    });
    await sleep(3000);
    const report = await count(w, runs, hs, []);
    const worked = (what: RegExp, svc: string) =>
      w.nodes.map((n) => w.logs.filter((l) => l.startsWith(`${svc}${n.suffix} |`) && what.test(l)).length);
    console.log(
      [
        `two instances: ${runs.length} scenario replays; host posts per call-intake (nginx round-robin): ${[...upstreams.values()].join(' / ')}`,
        `deliveries by gateway-1 / gateway-2: ${worked(/"msg":"delivered"/, 'gateway').join(' / ')}; by retailcrm-1 / retailcrm-2: ${worked(/delivered to RetailCRM/, 'retailcrm').join(' / ')}`,
        ...report.lines,
      ].join('\n  '),
    );
    expect(upstreams.size, 'both call-intakes took host events').toBe(2);
    expect(report.failures).toEqual([]);
    expect(w.crm.state.duplicateUploads, 'no call uploaded twice').toBe(0);
    expect(report.numbers.rateLimited, 'halved per-instance limits keep both under RetailCRM’s').toBe(0);
    expect(report.numbers.telegram429, 'halved per-instance limits keep both under Telegram’s').toBe(0);
    for (const n of worked(/"msg":"delivered"/, 'gateway')) expect(n).toBeGreaterThan(0);
  }, 300_000);
});
