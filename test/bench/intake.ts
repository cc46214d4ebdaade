// Benchmark: call-intake accepting host events with durable commits (group commit), as a real
// process on a real PostgreSQL, under autocannon. Each connection plays whole short calls
// (dial → hangup) for one of 100 enterprises, so the call model works as it would in production.
// Prints accepted events/s, latency p50/p99, and how fast the processor drains the backlog.
// Usage: pnpm bench:intake [--seconds 10] [--connections 50]
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createSql, migrate, startEmbeddedPostgres, withDatabase } from '@fleet/db';
import { Supervisor } from '../../packages/cli/src/supervisor.ts';
import { freePort } from '../e2e/harness.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
});
const ENTERPRISES = 100;

const dataDir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
const pg = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir, port: await freePort() });
const url = process.env.DATABASE_URL ?? withDatabase(pg!.url, 'postgres');
const sql = createSql(url, { max: 4 });
await migrate(sql);
await sql`truncate call_events, call_model_state, calls, intake_outbox restart identity`;
await sql`delete from enterprises where number like '7%'`;
for (let i = 0; i < ENTERPRISES; i++) {
  await sql`insert into enterprises (number, name, host_token) values (${String(70000 + i)}, ${'bench ' + i}, ${'bench-token-' + i})`;
}

// A gateway that acknowledges everything, so the dispatcher's work is part of the measurement.
const gateway = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('{}')));
const gatewayPort = await freePort();
await new Promise<void>((r) => gateway.listen(gatewayPort, '127.0.0.1', r));

const port = await freePort();
const supervisor = new Supervisor({ onLine: (_n, line) => /"level":(50|60)/.test(line) && console.error(line) });
await supervisor.start({
  name: 'call-intake',
  entry: 'services/call-intake/src/server.ts',
  healthUrl: `http://127.0.0.1:${port}/health`,
  env: {
    DATABASE_URL: url,
    CALL_INTAKE_PORT: String(port),
    GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
    LOG_LEVEL: 'warn',
  },
});

let callSeq = 0;
const result = await autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: Number(values.connections),
  duration: Number(values.seconds),
  requests: [
    {
      method: 'POST',
      path: '/dial',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req, ctx) => {
        const context = ctx as Record<string, unknown>;
        const n = ++callSeq;
        context.id = `1800000000.${n}`;
        context.token = `bench-token-${n % ENTERPRISES}`;
        req.body = JSON.stringify({
          Token: context.token,
          UniqueId: context.id,
          CallType: 0,
          Phone: '375440000001',
          Extensions: ['150', '151', '152'],
          Trunk: '0001363',
          ExtTrunk: '',
          ExtPhone: '375440000001',
        });
        return req;
      },
    },
    {
      method: 'POST',
      path: '/hangup',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req, ctx) => {
        const context = ctx as Record<string, unknown>;
        req.body = JSON.stringify({
          Token: context.token,
          UniqueId: context.id,
          CallType: 0,
          Phone: '375440000001',
          Extensions: [''],
          Trunk: '0001363',
          CallStatus: '0',
          StartTime: '2026-11-21 10:00:00',
          EndTime: '2026-11-21 10:00:05',
          DateReceived: '2026-11-21 10:00:00',
        });
        return req;
      },
    },
  ],
});

const accepted = result.requests.total - result.non2xx;
console.log(`call-intake, durable group commit, ${values.connections} connections, ${values.seconds} s:`);
console.log(
  `  accepted ${accepted} events (${(accepted / result.duration).toFixed(0)}/s), non-2xx ${result.non2xx}, errors ${result.errors}`,
);
console.log(`  latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as {
  groupCommit: { batches: number; events: number; maxBatch: number };
};
console.log(
  `  group commit: ${stats.groupCommit.events} events in ${stats.groupCommit.batches} transactions (mean ${(stats.groupCommit.events / stats.groupCommit.batches).toFixed(1)}, max ${stats.groupCommit.maxBatch})`,
);

const drainStart = Date.now();
const unprocessed = async () =>
  (await sql`select count(*)::int as n from call_events where processed_at is null`)[0]!.n as number;
const backlog = await unprocessed();
for (;;) {
  if ((await unprocessed()) === 0) break;
  await new Promise((r) => setTimeout(r, 200));
}
const calls = (await sql`select count(*)::int as n from calls`)[0]!.n as number;
console.log(
  `  processor: backlog of ${backlog} events drained in ${Date.now() - drainStart} ms after the load; ${calls} calls in the calls table`,
);

await supervisor.stopAll();
gateway.close();
await sql.end();
await pg?.stop();
rmSync(dataDir, { recursive: true, force: true });
