// `pnpm start` and `pnpm demo --exit` as a newcomer runs them (issue 2 §6 and its acceptance): the
// package.json script's command, no DATABASE_URL (so the embedded PostgreSQL from npm, its data
// under FLEET_DATA_DIR), no secrets (development ones are generated), every port from the environment.
// De-risks what the harness-driven e2e tests skip: the CLI entry points themselves, `bootFleet`, the
// bundles built on demand, and Ctrl-C — SIGINT to the whole process group, as a terminal sends it —
// stopping the services and the database with exit 0, within a deadline, leaving no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../packages/cli/src/supervisor.ts';
import { freePort } from '../support/net.ts';
import { sleep, waitFor } from './harness.ts';

const SCRIPTS = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const STOP_DEADLINE_MS = 30_000;

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dataDir: string;
  marker: string;
  ports: { intake: number; gateway: number; retailcrm: number; asterisk: number; pg: number };
}

const runs: Run[] = [];

/**
 * Runs what `pnpm <script> [args]` runs — the script's command from node_modules/.bin — in its own
 * process group. (Not through pnpm and its `sh -c`: on Ctrl-C the shell dies at once with SIGINT
 * while the command shuts down behind it, so the shell's exit status says nothing about the fleet's.)
 */
async function pnpmRun(script: string, args: string[] = []): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-smoke-'));
  chmodSync(dataDir, 0o755); // the postgres OS user must reach <dataDir>/pg (PITFALLS.md: root runs it as postgres)
  const ports = {
    intake: await freePort(),
    gateway: await freePort(),
    retailcrm: await freePort(),
    asterisk: await freePort(),
    pg: await freePort(),
  };
  // Inherited by every process of the run (services, PostgreSQL): how leftovers are found afterwards.
  const marker = `FLEET_SMOKE_RUN=${randomBytes(8).toString('hex')}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH}`, // as pnpm sets it for scripts
    FLEET_DATA_DIR: dataDir,
    FLEET_PG_PORT: String(ports.pg),
    CALL_INTAKE_PORT: String(ports.intake),
    GATEWAY_PORT: String(ports.gateway),
    RETAILCRM_PORT: String(ports.retailcrm),
    ASTERISK_PORT: String(ports.asterisk),
    [marker.split('=')[0]!]: marker.split('=')[1],
  };
  // A newcomer's shell has none of these: the embedded database and generated development secrets.
  for (const name of [
    'DATABASE_URL',
    'JWT_SECRET',
    'SECRETS_KEY',
    'PUBLIC_BASE_URL',
    'LOG_LEVEL',
    'FLEET_DEV',
    'NODE_ENV',
  ])
    delete env[name];
  for (const name of Object.keys(env)) if (/^(VITEST|FLEET_TEST_)/.test(name)) delete env[name]; // vitest's own
  const [bin, ...scriptArgs] = SCRIPTS[script]!.split(' ');
  const child = spawn(join(REPO_ROOT, 'node_modules/.bin', bin!), [...scriptArgs, ...args], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const run = { child, output: () => out, exited, dataDir, marker, ports };
  runs.push(run);
  return run;
}

/** Pids of live processes whose environment carries the run's marker (zombies have none left). */
function processesOf(run: Run): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(run.marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

const portFree = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });

const tail = (run: Run) => `\n--- output (tail) ---\n${run.output().split('\n').slice(-60).join('\n')}`;

/** Nothing of the run is left: no process with its marker, an empty process group, every port free. */
async function expectNothingLeft(run: Run): Promise<void> {
  await waitFor(
    'the run’s processes to be gone',
    () => processesOf(run).length === 0 && !groupAlive(run.child.pid!),
    5_000,
  ).catch(() => {});
  expect(processesOf(run), `processes left behind${tail(run)}`).toEqual([]);
  expect(groupAlive(run.child.pid!), 'process group still has members').toBe(false);
  for (const [name, port] of Object.entries(run.ports))
    expect(await portFree(port), `${name} port ${port} still taken`).toBe(true);
}

afterEach(async () => {
  for (const run of runs.splice(0)) {
    if (groupAlive(run.child.pid!)) process.kill(-run.child.pid!, 'SIGKILL'); // a failed test leaves nothing running
    for (const pid of processesOf(run)) process.kill(pid, 'SIGKILL');
    await sleep(200);
    rmSync(run.dataDir, { recursive: true, force: true });
  }
});

describe('pnpm start and pnpm demo, as a newcomer runs them', () => {
  it('pnpm start: embedded PostgreSQL under FLEET_DATA_DIR, /health 200 on every service, Ctrl-C stops it all cleanly', async () => {
    expect(SCRIPTS.start).toBe('tsx packages/cli/src/start.ts');
    const run = await pnpmRun('start');
    let exitedEarly = false;
    void run.exited.then(() => (exitedEarly = true));
    await waitFor(
      'start: fleet is up',
      () => {
        if (exitedEarly) throw new Error(`pnpm start exited before the fleet was up${tail(run)}`);
        return run.output().includes('start: fleet is up');
      },
      150_000,
    );

    for (const [name, port] of Object.entries({
      'call-intake': run.ports.intake,
      gateway: run.ports.gateway,
      retailcrm: run.ports.retailcrm,
      asterisk: run.ports.asterisk,
    })) {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status, `${name} /health${tail(run)}`).toBe(200);
    }
    expect(run.output()).toMatch(/embedded PostgreSQL ready/);
    expect(existsSync(join(run.dataDir, 'pg', 'PG_VERSION')), 'the cluster lives in FLEET_DATA_DIR/pg').toBe(true);
    expect(existsSync(join(run.dataDir, 'dev-secrets.json')), 'development secrets in FLEET_DATA_DIR').toBe(true);
    expect(processesOf(run).length).toBeGreaterThanOrEqual(5); // four services and the database at least

    const t0 = Date.now();
    process.kill(-run.child.pid!, 'SIGINT'); // Ctrl-C: the terminal signals the foreground process group
    const result = await Promise.race([run.exited, sleep(STOP_DEADLINE_MS).then(() => null)]);
    expect(result, `no exit within ${STOP_DEADLINE_MS} ms of Ctrl-C${tail(run)}`).not.toBeNull();
    console.info(`pnpm start: Ctrl-C → exit in ${Date.now() - t0} ms`);
    expect(result, tail(run)).toEqual({ code: 0, signal: null });
    expect(run.output()).toMatch(/stopping embedded PostgreSQL/);
    await expectNothingLeft(run);
  });

  it('pnpm demo --exit: the sandbox receives the replayed calls, then everything stops with exit 0', async () => {
    expect(SCRIPTS.demo).toBe('tsx packages/cli/src/demo.ts');
    const run = await pnpmRun('demo', ['--exit']);
    const result = await Promise.race([run.exited, sleep(170_000).then(() => null)]);
    expect(result, `pnpm demo --exit did not finish${tail(run)}`).not.toBeNull();
    expect(result, tail(run)).toEqual({ code: 0, signal: null });
    const out = run.output();
    // Every service became healthy (bootFleet waits for /health 200 before saying so) on the given ports.
    for (const [name, port] of Object.entries({
      'call-intake': run.ports.intake,
      gateway: run.ports.gateway,
      retailcrm: run.ports.retailcrm,
      asterisk: run.ports.asterisk,
    })) {
      expect(out).toContain(`demo: ${name} is up (http://127.0.0.1:${port}/health)`);
    }
    expect(out).toMatch(/what the RetailCRM sandbox received/);
    expect(existsSync(join(run.dataDir, 'pg', 'PG_VERSION'))).toBe(true);
    await expectNothingLeft(run);
  });
});
