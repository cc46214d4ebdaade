// `pnpm bench`: every measurement of issue 8 §1 in one run, on one machine, on one throwaway embedded
// PostgreSQL (a database of its own per measurement), and BENCHMARKS.md written from the numbers.
// The services run as production runs them: `pnpm build`'s bundles under plain node, built first;
// BENCH_ENTRIES=source runs the TypeScript under tsx instead (as the tests do), to compare.
// Usage: pnpm bench [--quick] [--only 1,2,5] [--profile] [--out BENCHMARKS.md] [--json results.json]
//   --quick    short runs (harness check; numbers not worth publishing)
//   --json     also the raw numbers (every rate, every process) as JSON
//   --profile  call-intake (measurement 1) and every service of measurement 3 run with --cpu-prof;
//              profiles land in .data/bench-profiles (summarise one with test/bench/top-self.ts)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createSql, prepareTemplate, startEmbeddedPostgres, TEST_SERVER_ENV } from '@fleet/db';
import { freePort } from '../e2e/harness.ts';
import { buildAll } from '../../packages/cli/src/bundle.ts';
import { benchEntries, dist, machine, otherRuns } from './lib.ts';
import { peakRss, report, type Results } from './report.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string', default: 'BENCHMARKS.md' },
    json: { type: 'string' },
  },
});
const quick = values.quick;
const only = new Set((values.only ?? '1,2,3,4,5,6,7,8').split(',').map(Number));
const started = Date.now();
const busyBefore = otherRuns();

if (benchEntries() === 'bundle') {
  const built = await buildAll();
  process.stdout.write(`[bench] built ${built.map((b) => b.outfile).join(', ')}\n`);
}

const tmp = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
process.env.BENCH_TMP = tmp;
if (values.profile) {
  process.env.BENCH_PROFILE_DIR = resolve('.data/bench-profiles');
  mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
}
const pg = process.env.DATABASE_URL
  ? null
  : await startEmbeddedPostgres({ dataDir: join(tmp, 'pg'), port: await freePort() });
const serverUrl = process.env.DATABASE_URL ?? pg!.url;
// Where the cluster really lives (it may be relocated): measurement 3 reads its postmaster.pid for PostgreSQL's CPU.
if (pg) process.env.BENCH_PG_DATA = pg.dataDir;
await prepareTemplate(serverUrl);
process.env[TEST_SERVER_ENV] = serverUrl;
const probe = createSql(serverUrl, { max: 1 });
const [v] = await probe<
  { v: string; fsync: string; sc: string }[]
>`select current_setting('server_version') as v, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc`;
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
  entries: benchEntries(),
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
    process.stdout.write(
      `[bench] ${n}. done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(r).slice(0, 600)}\n`,
    );
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
  // Each measurement's module is loaded only when it runs (one that does not load cannot stop the others).
  const intake = (o: Parameters<typeof import('./m-intake.ts').benchIntake>[0]) =>
    import('./m-intake.ts').then((m) => m.benchIntake(o));
  results.intake = await step(1, 'call-intake vs bare Fastify; fixed-rate latency', () =>
    intake(
      quick
        ? { seconds: 3, rateSeconds: 2, rates: [1000, 5000], connections: 50, profile: values.profile }
        : { seconds: 10, rateSeconds: 5, rates: [1000, 2000, 5000], connections: 50, profile: values.profile },
    ),
  );
  if (only.has(2) && !only.has(1))
    results.intake = await step(2, 'fixed-rate latency', () =>
      intake({
        seconds: 1,
        rateSeconds: quick ? 2 : 5,
        rates: quick ? [5000] : [1000, 2000, 5000],
        connections: 50,
        profile: false,
      }),
    );
  // Before the loaded runs: their databases' checkpoints and vacuum would still be busy behind it.
  results.e2eOut = await step(3, 'end to end, outgoing dials (no hold)', async () =>
    (await import('./m-e2e.ts')).benchEndToEnd({ rates: [20], seconds: quick ? 2 : 8, enterprises: 5, outgoing: true }),
  );
  results.e2e = await step(3, 'end to end dial → RetailCRM call/event', async () =>
    (await import('./m-e2e.ts')).benchEndToEnd({
      rates: [20, 200, 500],
      seconds: quick ? 2 : 8,
      profile: values.profile,
    }),
  );
  results.hold = await step(3, 'call model: outgoing dials held over the corpus', async () => {
    const { holdCensus } = await import('../../packages/call-model/test/hold-census.ts');
    const runs = [null, ...Array.from({ length: 20 }, (_, i) => i + 1)].map((seed) => holdCensus(seed));
    const recorded = runs[0]!;
    return {
      own: recorded.own,
      legs: recorded.legs,
      heldOwnRecorded: recorded.held.filter((h) => !h.leg).length,
      heldLegsRecorded: recorded.held.filter((h) => h.leg).length,
      heldOwnMaxDelayed: Math.max(...runs.slice(1).map((r) => r.held.filter((h) => !h.leg).length)),
      heldLegsMaxDelayed: Math.max(...runs.slice(1).map((r) => r.held.filter((h) => h.leg).length)),
      seeds: runs.length - 1,
    };
  });
  results.e2eFew = await step(3, 'end to end, 5 enterprises whose calls all keep ringing', async () =>
    (await import('./m-e2e.ts')).benchEndToEnd({ rates: [200, 500], seconds: quick ? 2 : 8, enterprises: 5 }),
  );
  results.config = await step(4, 'config change → both gateways', async () =>
    (await import('./m-config.ts')).benchConfig({ changes: quick ? 10 : 100 }),
  );
  results.click = await step(5, 'make-call → originate on the SSH host', async () =>
    (await import('./m-click.ts')).benchClick({ clicks: quick ? 20 : 200 }),
  );
  results.ssh = await step(5, 'SSH transport: exec channel per command vs one shell', async () =>
    (await import('./m-ssh.ts')).benchSsh({ n: quick ? 10 : 40 }),
  );
  results.telegram = await step(6, 'Telegram burst', async () =>
    (await import('./m-telegram.ts')).benchTelegram({ calls: quick ? 60 : 300, spreadMs: quick ? 2000 : 10_000 }),
  );
  results.growth = await step(8, 'per-event cost vs enterprises in the gateway cache', async () =>
    (await import('./m-growth.ts')).benchGrowth({ sizes: [1, 100, 10_000], seconds: quick ? 2 : 5 }),
  );
  // Measurement 7 is the peak RSS seen by 1–3 and 5: printed whole (the step lines above are cut).
  const rss = peakRss(results);
  if (Object.keys(rss).length) {
    process.stdout.write(
      `[bench] 7. peak RSS (${results.entries}): ${Object.entries(rss)
        .map(([name, { v, load }]) => `${name} ${v.toFixed(0)} MB (${load})`)
        .join(', ')}\n`,
    );
  }
} finally {
  await pg?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
results.durationS = (Date.now() - started) / 1000;
writeFileSync(values.out, report(results));
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
process.stdout.write(`[bench] wrote ${values.out} in ${results.durationS.toFixed(0)} s\n`);
process.exit(0);
