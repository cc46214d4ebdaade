// `pnpm bench`: every measurement of issue 8 §1 in one run, on one machine, on one throwaway embedded
// PostgreSQL (a database of its own per measurement), and BENCHMARKS.md written from the numbers.
// Usage: pnpm bench [--quick] [--only 1,2,5] [--profile] [--out BENCHMARKS.md]
//   --quick    short runs (harness check; numbers not worth publishing)
//   --profile  call-intake (measurement 1) and every service of measurement 3 run with --cpu-prof;
//              profiles land in .data/bench-profiles (summarise one with test/bench/top-self.ts)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createSql, prepareTemplate, startEmbeddedPostgres, TEST_SERVER_ENV } from '@fleet/db';
import { freePort } from '../e2e/harness.ts';
import { dist, machine, otherRuns } from './lib.ts';
import { report, type Results } from './report.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string', default: 'BENCHMARKS.md' },
  },
});
const quick = values.quick;
const only = new Set((values.only ?? '1,2,3,4,5,6,7,8').split(',').map(Number));
const started = Date.now();
const busyBefore = otherRuns();

const tmp = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
process.env.BENCH_TMP = tmp;
if (values.profile) {
  process.env.BENCH_PROFILE_DIR = resolve('.data/bench-profiles');
  mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
}
const pg = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: join(tmp, 'pg'), port: await freePort() });
const serverUrl = process.env.DATABASE_URL ?? pg!.url;
// Where the cluster really lives (it may be relocated): measurement 3 reads its postmaster.pid for PostgreSQL's CPU.
if (pg) process.env.BENCH_PG_DATA = pg.dataDir;
await prepareTemplate(serverUrl);
process.env[TEST_SERVER_ENV] = serverUrl;
const probe = createSql(serverUrl, { max: 1 });
const [v] = await probe<{ v: string; fsync: string; sc: string }[]>`select current_setting('server_version') as v, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc`;
// What one durable commit costs on this disk: every stage of the chain pays at least one.
await probe`create temporary table bench_fsync (x int)`;
const commits: number[] = [];
for (let k = 0; k < (quick ? 50 : 200); k++) {
  const t0 = performance.now();
  await probe`insert into bench_fsync values (${k})`;
  commits.push(performance.now() - t0);
}
await probe`create table if not exists bench_fsync_durable (x int)`;
const durable: number[] = [];
for (let k = 0; k < (quick ? 50 : 200); k++) {
  const t0 = performance.now();
  await probe`insert into bench_fsync_durable values (${k})`;
  durable.push(performance.now() - t0);
}
await probe`drop table bench_fsync_durable`;
await probe.end();

const results: Results = {
  machine: machine(`${v!.v} (fsync ${v!.fsync}, synchronous_commit ${v!.sc})`),
  quick,
  busyBefore,
  busyDuring: [],
  durationS: 0,
  commit: { temp: dist(commits), durable: dist(durable) },
};
const step = async <T>(n: number, title: string, run: () => Promise<T>): Promise<T | undefined> => {
  if (!only.has(n)) return undefined;
  const t0 = Date.now();
  process.stdout.write(`[bench] ${n}. ${title} …\n`);
  try {
    const r = await run();
    process.stdout.write(`[bench] ${n}. done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(r).slice(0, 600)}\n`);
    return r;
  } catch (err) {
    process.stdout.write(`[bench] ${n}. FAILED: ${(err as Error).stack}\n`);
    (results.failures ??= []).push(`${n}. ${title}: ${(err as Error).message}`);
    return undefined;
  } finally {
    for (const l of otherRuns()) if (!results.busyDuring.includes(l)) results.busyDuring.push(l);
  }
};

try {
  const { benchIntake } = await import('./m-intake.ts');
  results.intake = await step(1, 'call-intake vs bare Fastify; fixed-rate latency', () =>
    benchIntake(
      quick
        ? { seconds: 3, rateSeconds: 2, rates: [1000, 5000], connections: 50, profile: values.profile }
        : { seconds: 10, rateSeconds: 5, rates: [1000, 2000, 5000], connections: 50, profile: values.profile },
    ),
  );
  if (only.has(2) && !only.has(1)) results.intake = await step(2, 'fixed-rate latency', () => benchIntake({ seconds: 1, rateSeconds: quick ? 2 : 5, rates: quick ? [5000] : [1000, 2000, 5000], connections: 50, profile: false }));
  const { benchEndToEnd } = await import('./m-e2e.ts');
  results.e2e = await step(3, 'end to end dial → RetailCRM call/event', () => benchEndToEnd({ rates: [200, 500], seconds: quick ? 2 : 8, profile: values.profile }));
  const { benchConfig } = await import('./m-config.ts');
  results.config = await step(4, 'config change → both gateways', () => benchConfig({ changes: quick ? 10 : 100 }));
  const { benchClick } = await import('./m-click.ts');
  results.click = await step(5, 'make-call → originate on the SSH host', () => benchClick({ clicks: quick ? 20 : 200 }));
  const { benchSsh } = await import('./m-ssh.ts');
  results.ssh = await step(5, 'SSH transport: exec channel per command vs one shell', () => benchSsh({ n: quick ? 10 : 40 }));
  const { benchTelegram } = await import('./m-telegram.ts');
  results.telegram = await step(6, 'Telegram burst', () => benchTelegram({ calls: quick ? 60 : 300, spreadMs: quick ? 2000 : 10_000 }));
  const { benchGrowth } = await import('./m-growth.ts');
  results.growth = await step(8, 'per-event cost vs enterprises in the gateway cache', () => benchGrowth({ sizes: [1, 100, 10_000], seconds: quick ? 2 : 5 }));
} finally {
  await pg?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
results.durationS = (Date.now() - started) / 1000;
writeFileSync(values.out, report(results));
process.stdout.write(`[bench] wrote ${values.out} in ${results.durationS.toFixed(0)} s\n`);
process.exit(0);
