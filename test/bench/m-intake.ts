// Measurements 1 and 2 (and call-intake's RSS for 7): POST /dial with durable group commit against a
// bare Fastify server under the same autocannon settings, then open-loop latency at fixed rates.
import { createServer, type Server } from 'node:http';
import autocannon from 'autocannon';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { freePort } from '../e2e/harness.ts';
import {
  cpuSeconds,
  dist,
  keepAliveAgent,
  openLoop,
  postJson,
  rssSampler,
  Services,
  sleep,
  type Dist,
  type OpenLoopResult,
} from './lib.ts';

const ENTERPRISES = 100;

export interface ClosedLoop {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

export interface IntakeResult {
  connections: number;
  seconds: number;
  bare: ClosedLoop;
  /** Peak RSS of the bare Fastify process under the same load: the floor of Node (+ tsx in source mode) + Fastify. */
  bareRssMb: number;
  intake: ClosedLoop & { cpuMsPerEvent: number; meanBatch: number; drainPerSecond: number };
  ratio: number;
  rates: (OpenLoopResult & { rssMb: number })[];
  rssMb: number;
}

const dialBody = (n: number) =>
  JSON.stringify({
    Token: `bench-token-${n % ENTERPRISES}`,
    UniqueId: `1800000000.${n}`,
    CallType: 0,
    Phone: '375440000001',
    Extensions: ['150', '151', '152'],
    Trunk: '0001363',
    ExtTrunk: '',
    ExtPhone: '375440000001',
  });
const hangupBody = (n: number) =>
  JSON.stringify({
    Token: `bench-token-${n % ENTERPRISES}`,
    UniqueId: `1800000000.${n}`,
    CallType: 0,
    Phone: '375440000001',
    Extensions: [''],
    Trunk: '0001363',
    CallStatus: '0',
    StartTime: '2026-11-21 10:00:00',
    EndTime: '2026-11-21 10:00:05',
    DateReceived: '2026-11-21 10:00:00',
  });

/** The closed-loop load of `pnpm bench:intake`: each connection plays dial → hangup of a new call. */
async function cannon(port: number, connections: number, seconds: number, seq: { n: number }): Promise<ClosedLoop> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/dial',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req, ctx) => {
          const n = ++seq.n;
          (ctx as Record<string, number>).n = n;
          req.body = dialBody(n);
          return req;
        },
      },
      {
        method: 'POST',
        path: '/hangup',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req, ctx) => {
          req.body = hangupBody((ctx as Record<string, number>).n!);
          return req;
        },
      },
    ],
  });
  const ok = r.requests.total - r.non2xx;
  return {
    rps: ok / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** A gateway that acknowledges everything, so the dispatcher's work is part of the measurement. */
async function ackGateway(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) =>
    req
      .resume()
      .on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}')),
  );
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${port}` };
}

async function intakeWorld(svc: Services, name: string, gatewayUrl: string, profile: boolean) {
  const db: TestDatabase = await createTestDatabase();
  const sql: Sql = createSql(db.url, { max: 2 });
  await sql`insert into enterprises ${sql(Array.from({ length: ENTERPRISES }, (_, i) => ({ number: String(70000 + i), name: `bench ${i}`, host_token: `bench-token-${i}` })))}`;
  const port = await freePort();
  const pid = await svc.start(
    {
      name,
      entry: 'services/call-intake/src/server.ts',
      healthUrl: `http://127.0.0.1:${port}/health`,
      env: {
        DATABASE_URL: db.url,
        CALL_INTAKE_PORT: String(port),
        GATEWAY_URL: gatewayUrl,
        LOG_LEVEL: 'warn',
        FLEET_DATA_DIR: `${process.env.BENCH_TMP}/${name}`,
      },
    },
    profile,
  );
  const unprocessed = async () =>
    (await sql<{ n: number }[]>`select count(*)::int as n from call_events where processed_at is null`)[0]!.n;
  return {
    port,
    pid,
    sql,
    unprocessed,
    async drain(limitMs: number): Promise<number> {
      const t0 = Date.now();
      while ((await unprocessed()) > 0 && Date.now() - t0 < limitMs) await sleep(100);
      return Date.now() - t0;
    },
    async close() {
      await svc.supervisor.stopService(name);
      await sql.end();
      await db.drop();
    },
  };
}

export async function benchIntake(o: {
  seconds: number;
  rateSeconds: number;
  rates: number[];
  connections: number;
  profile: boolean;
}): Promise<IntakeResult> {
  const gw = await ackGateway();
  const svc = new Services(process.env.BENCH_PROFILE_DIR);
  try {
    // Baseline first: a bare Fastify process.
    const barePort = await freePort();
    const barePid = await svc.start({
      name: 'bare-fastify',
      entry: 'test/bench/bare-fastify.mjs',
      healthUrl: `http://127.0.0.1:${barePort}/health`,
      env: { BARE_PORT: String(barePort) },
    });
    const bareRss = rssSampler({ bare: barePid });
    const bare = await cannon(barePort, o.connections, o.seconds, { n: 0 });
    const bareRssMb = bareRss.stop().bare!;
    await svc.supervisor.stopService('bare-fastify');

    // call-intake, durable group commit, same settings.
    const w = await intakeWorld(svc, 'call-intake', gw.url, o.profile);
    const rss = rssSampler({ 'call-intake': w.pid });
    const cpu0 = cpuSeconds(w.pid);
    const closed = await cannon(w.port, o.connections, o.seconds, { n: 0 });
    const cpuMsPerEvent = ((cpuSeconds(w.pid) - cpu0) * 1000) / Math.max(1, closed.rps * o.seconds);
    const stats = (await (await fetch(`http://127.0.0.1:${w.port}/stats`)).json()) as {
      groupCommit: { batches: number; events: number };
    };
    const backlog = await w.unprocessed();
    const drainMs = await w.drain(30_000);
    const drained = backlog - (await w.unprocessed());
    const peak = rss.stop()['call-intake']!;
    await w.close();

    // Measurement 2: open loop at fixed rates, each on a fresh database and process.
    const rates: IntakeResult['rates'] = [];
    for (const rate of o.rates) {
      const r = await intakeWorld(svc, `call-intake-${rate}`, gw.url, false);
      const s = rssSampler({ x: r.pid });
      const agent = keepAliveAgent(1024);
      // Warm-up (JIT, pools) at a tenth of the rate; not measured.
      await openLoop(Math.min(500, rate / 10), 1, (i) =>
        postJson(agent, r.port, '/dial', dialBody(10_000_000 + i)).then((st) => st === 200),
      );
      const res = await openLoop(rate, o.rateSeconds, (i) => {
        const call = Math.floor(i / 2);
        return postJson(agent, r.port, i % 2 ? '/hangup' : '/dial', i % 2 ? hangupBody(call) : dialBody(call)).then(
          (st) => st === 200,
        );
      });
      agent.destroy();
      rates.push({ ...res, rssMb: s.stop().x! });
      await r.close();
    }
    return {
      connections: o.connections,
      seconds: o.seconds,
      bare,
      bareRssMb,
      intake: {
        ...closed,
        cpuMsPerEvent,
        meanBatch: stats.groupCommit.events / Math.max(1, stats.groupCommit.batches),
        drainPerSecond: drained / Math.max(0.001, drainMs / 1000),
      },
      ratio: closed.rps / bare.rps,
      rates,
      rssMb: Math.max(peak, ...rates.map((r) => r.rssMb)),
    };
  } finally {
    await svc.stop();
    gw.server.close();
  }
}

export type { Dist };
export { dist };
