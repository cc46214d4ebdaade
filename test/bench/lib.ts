// Shared pieces of `pnpm bench`: an open-loop load generator, percentiles, per-process RSS/CPU from
// /proc, service processes with their pids, and a description of the machine.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { bundleEntry, secretsEnv } from '../../packages/cli/src/fleet-services.ts';
import { Supervisor, type ServiceSpec } from '../../packages/cli/src/supervisor.ts';

/** Wall clock with sub-millisecond resolution (epoch ms), comparable across modules of this process. */
export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** p-th percentile (0..100) of an ascending array (nearest rank). */
export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
export function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) ?? NaN };
}
export const ms = (x: number) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : x.toFixed(0)} ms` : 'n/a');

/** Keep-alive HTTP/1.1 POST of a JSON body; resolves with the status (0 on a network error). */
export function postJson(agent: Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

export const keepAliveAgent = (maxSockets = 512) =>
  new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });

export interface OpenLoopResult {
  offered: number;
  sent: number;
  ok: number;
  failed: number;
  /** Latency from the *intended* send time to the answer (coordinated omission corrected), ms. */
  latency: Dist;
  /** Achieved completion rate over the run (answers per second). */
  achieved: number;
  /** How late the generator itself started requests (p99 of actual − intended start, ms). */
  generatorLagP99: number;
}

/**
 * Open-loop load: request i is due at t0 + i/rate whatever happened to earlier requests (no
 * coordinated omission: a stalled server makes the later requests' latencies grow, as a host would
 * see it). `send(i, intendedAt)` starts request i and resolves true on success.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  send: (i: number, intendedAt: number) => Promise<boolean>,
): Promise<OpenLoopResult> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  let ok = 0;
  let failed = 0;
  const pending: Promise<void>[] = [];
  const t0 = now() + 20;
  let i = 0;
  while (i < total) {
    const t = now();
    while (i < total && t0 + (i * 1000) / rate <= t) {
      const intended = t0 + (i * 1000) / rate;
      lags.push(t - intended);
      pending.push(
        send(i, intended).then((good) => {
          latencies.push(now() - intended);
          if (good) ok++;
          else failed++;
        }),
      );
      i++;
    }
    // setImmediate keeps the schedule tight (~0.1 ms) without blocking the answers' callbacks.
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  const elapsed = (now() - t0) / 1000;
  return {
    offered: rate,
    sent: total,
    ok,
    failed,
    latency: dist(latencies),
    achieved: ok / elapsed,
    generatorLagP99: pct(
      lags.sort((a, b) => a - b),
      99,
    ),
  };
}

/** Resident set size of a process (MB), from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Samples the RSS of named processes every 200 ms and keeps the peak of each. */
export function rssSampler(pids: Record<string, number>) {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const [name, pid] of Object.entries(pids)) {
      try {
        peak[name] = Math.max(peak[name] ?? 0, rssMb(pid));
      } catch {
        /* exited */
      }
    }
  };
  sample();
  const timer = setInterval(sample, 200);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * What the measured processes run: `bundle` (default) as production does, `pnpm build`'s bundles under
 * plain node (run.ts builds them first); `source` the TypeScript under tsx, as the tests do
 * (BENCH_ENTRIES=source, to compare).
 */
export const benchEntries = (): 'bundle' | 'source' => (process.env.BENCH_ENTRIES === 'source' ? 'source' : 'bundle');

/**
 * A service's spec as the run measures it: `services/<name>/src/server.ts` becomes its bundle, and in
 * source mode every other plain JavaScript entry (the bare Fastify floor) runs under tsx too, so the
 * floor carries what the services carry.
 */
export function benchSpec(spec: ServiceSpec): ServiceSpec {
  // BENCH_NODE_ARGS (e.g. "--max-semi-space-size=4"): node flags for every measured process, to try
  // a setting without changing the ones production runs with.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const withArgs = (s: ServiceSpec, ...args: string[]) => ({
    ...s,
    nodeArgs: [...(s.nodeArgs ?? []), ...args, ...extra],
  });
  const service = /^services\/([^/]+)\/src\/server\.ts$/.exec(spec.entry);
  if (benchEntries() === 'bundle') return withArgs(service ? { ...spec, entry: bundleEntry(service[1]!) } : spec);
  return spec.entry.endsWith('.ts') ? withArgs(spec) : withArgs(spec, '--import', 'tsx');
}

/** The Supervisor of `pnpm start`, plus the pid of each service (for RSS/CPU) and optional --cpu-prof. */
export class Services {
  readonly supervisor: Supervisor;
  readonly errors: string[] = [];
  /** Last lines of each service's output (shown when one fails to start). */
  readonly tail: Record<string, string[]> = {};
  constructor(private readonly profileDir?: string) {
    this.supervisor = new Supervisor({
      onLine: (name, line) => {
        (this.tail[name] ??= []).push(line.slice(0, 300));
        if (this.tail[name]!.length > 15) this.tail[name]!.shift();
        if (/"level":(50|60)/.test(line) && this.errors.length < 20)
          this.errors.push(`${name} | ${line.slice(0, 400)}`);
      },
    });
  }
  async start(spec: ServiceSpec, profile = false): Promise<number> {
    // JWT_SECRET / SECRETS_KEY as `pnpm start` makes them: development values generated under the run's temp dir.
    const env = { ...secretsEnv({ ...process.env, FLEET_DATA_DIR: process.env.BENCH_TMP }).vars, ...spec.env };
    // Node refuses --cpu-prof in NODE_OPTIONS: a preload starts the profiler instead (cpu-prof-preload.mjs).
    if (profile && this.profileDir) {
      env.NODE_OPTIONS =
        `${process.env.NODE_OPTIONS ?? ''} --import ${new URL('./cpu-prof-preload.mjs', import.meta.url).href}`.trim();
      env.BENCH_CPU_PROF_FILE = `${this.profileDir}/${spec.name}-${Date.now()}.cpuprofile`;
    }
    try {
      await this.supervisor.start(benchSpec({ ...spec, env }), 60_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${(this.tail[spec.name] ?? []).join('\n')}`);
    }
    return this.pid(spec.name);
  }
  pid(name: string): number {
    const pid = this.supervisor.pid(name);
    if (pid === undefined) throw new Error(`${name} is not running`);
    return pid;
  }
  stop() {
    return this.supervisor.stopAll();
  }
}

export interface Machine {
  nproc: number;
  memoryGb: number;
  cpu: string;
  node: string;
  postgres: string;
  commit: string;
  kernel: string;
  load: string;
}

export function machine(postgres: string): Machine {
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', a, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' (work tree has uncommitted changes)' : '';
  return {
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpu: cpus()[0]?.model ?? '?',
    node: process.version,
    postgres,
    commit: git('rev-parse', '--short', 'HEAD') + dirty,
    kernel: readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' '),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

/** Other test or benchmark runs on this machine right now (the machine is shared). */
export function otherRuns(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(
      (l) =>
        /vitest|autocannon|bench-click|test\/bench/.test(l) &&
        !/test\/bench\/(run\.ts|bare-fastify\.mjs)|\bps -eo\b/.test(l),
    )
    .map((l) => l.trim().slice(0, 160));
}
