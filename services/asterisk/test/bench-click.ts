// Click → command-on-host latency with a warm SSH connection (not a test: numbers to report).
// The RetailCRM fake clicks; the time runs until the asterisk stand-in on the real sshd starts
// `channel originate` (it stamps every invocation). Run: npx tsx services/asterisk/test/bench-click.ts [--clicks 200]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSql, migrate, startEmbeddedPostgres } from '@fleet/db';
import { createClickWorld } from './click-world.ts';
import { startTestHost, sshdAvailable } from '../../../test/support/sshd.ts';

const { values } = parseArgs({ options: { clicks: { type: 'string', default: '200' } } });
const clicks = Number(values.clicks);
if (!sshdAvailable()) throw new Error('sshd is needed for this benchmark');

const dataDir = mkdtempSync(join(tmpdir(), 'bench-click-pg-'));
const pg = await startEmbeddedPostgres({ dataDir, port: 20000 + Math.floor(Math.random() * 20000) });
const admin = createSql(pg.url, { max: 1 });
await migrate(admin);
await admin.end();
const host = await startTestHost();
const w = await createClickWorld(pg.url, host);
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
try {
  // Warm-up: the first click opens the SSH connection.
  await w.fake.click({ userId: 18, phone: '+375440000001' });
  const toHost: number[] = [];
  const toReply: number[] = [];
  for (let i = 0; i < clicks; i++) {
    await host.clearCalls();
    // A new number each time: repeated clicks on one number within 5 s are deduplicated by design.
    const phone = `+37544${String(1000000 + i).padStart(7, '0')}`;
    const t0 = performance.timeOrigin + performance.now();
    const res = await w.fake.click({ userId: 18, phone });
    const t1 = performance.timeOrigin + performance.now();
    if (res.status !== 200) throw new Error(`click ${i}: ${res.status} ${res.body}`);
    const calls = await host.calls();
    const times = await host.times();
    const at = calls.findIndex((c) => c[1]!.startsWith('channel originate'));
    toHost.push(times[at]! - t0);
    toReply.push(t1 - t0);
  }
  toHost.sort((a, b) => a - b);
  toReply.sort((a, b) => a - b);
  const fmt = (xs: number[]) =>
    `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${xs.at(-1)!.toFixed(1)} ms`;
  console.log(`${clicks} clicks, warm SSH connection (one per host, reused)`);
  console.log(`click → originate command started on the host: ${fmt(toHost)}`);
  console.log(`click → 200 to RetailCRM:                      ${fmt(toReply)}`);
} finally {
  await w.close();
  await host.dispose();
  await pg.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
