import { spawn, type ChildProcess } from 'node:child_process';
import { backoffMs } from '@fleet/backoff';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Repository root (the services are started from here so that tsx resolves). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceSpec {
  name: string;
  /**
   * Entry file relative to the repository root: a `.ts` source runs under tsx (`node --import tsx`), a
   * built `.mjs` bundle (`pnpm build`) under plain node with source maps.
   */
  entry: string;
  /** Extra node flags, after the default ones (so they win) and before the entry, e.g. heap limits. */
  nodeArgs?: string[];
  /** Health URL polled until it answers 200. */
  healthUrl: string;
  env: Record<string, string>;
}

export interface RunningService {
  spec: ServiceSpec;
  child: ChildProcess | null;
}

export interface SupervisorOptions {
  /** Receives every output line of every service, prefixed with its name. */
  onLine?: (service: string, line: string) => void;
  /** Restart a service that exits on its own (not when stopped through the supervisor). */
  restart?: boolean;
}

/**
 * Runs each fleet service as its own Node process (tsx, or node for a bundle), prefixes their output, restarts one that
 * crashes (with a growing delay), and stops them all with SIGTERM, then SIGKILL after `graceMs`.
 * Used by `pnpm start`, `pnpm demo` and the end-to-end tests, so all three run the fleet one way.
 */
export class Supervisor {
  private readonly services = new Map<string, RunningService>();
  private readonly crashes = new Map<string, number>();
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions = {}) {}

  /** Starts a service and waits until its health URL answers 200 (or rejects after `timeoutMs`). */
  async start(spec: ServiceSpec, timeoutMs = 30_000): Promise<void> {
    const entry: RunningService = { spec, child: null };
    this.services.set(spec.name, entry);
    const child = this.spawn(entry);
    await waitHealthy(spec.healthUrl, timeoutMs, () => exited(child));
  }

  private spawn(entry: RunningService): ChildProcess {
    const { spec } = entry;
    const child = spawn(process.execPath, [...nodeArgsFor(spec.entry), ...(spec.nodeArgs ?? []), spec.entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    entry.child = child;
    const emit = (line: string) => this.opts.onLine?.(spec.name, line);
    createInterface({ input: child.stdout! }).on('line', emit);
    createInterface({ input: child.stderr! }).on('line', emit);
    child.on('exit', (code, signal) => {
      if (entry.child !== child) return;
      entry.child = null;
      if (this.stopping || !this.opts.restart || !this.services.has(spec.name)) return;
      if (code === 78) {
        // EX_CONFIG (packages/service): restarting cannot fix a bad variable.
        emit('exited on bad configuration; not restarting');
        return;
      }
      const n = (this.crashes.get(spec.name) ?? 0) + 1;
      this.crashes.set(spec.name, n);
      const delay = backoffMs(n + 1, { firstMs: 500, maxMs: 30_000 });
      emit(`exited (${signal ?? code}); restarting in ${delay} ms`);
      setTimeout(
        () => !this.stopping && this.services.has(spec.name) && !entry.child && this.spawn(entry),
        delay,
      ).unref();
    });
    return child;
  }

  /** The process id of a running service (undefined while it is down). */
  pid(name: string): number | undefined {
    return this.services.get(name)?.child?.pid;
  }

  /** Kills a service abruptly (SIGKILL), as a crash would, and waits until it is gone (its port free); it stays down until `revive`. */
  async kill(name: string): Promise<void> {
    const entry = this.services.get(name);
    if (!entry?.child) return;
    const child = entry.child;
    entry.child = null;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    if (!exited(child)) await gone;
  }

  /** Starts a killed or stopped service again and waits for its health. */
  async revive(name: string, timeoutMs = 30_000): Promise<void> {
    const entry = this.services.get(name);
    if (!entry) throw new Error(`unknown service ${name}`);
    const child = entry.child ?? this.spawn(entry);
    await waitHealthy(entry.spec.healthUrl, timeoutMs, () => exited(child));
  }

  /** Stops one service gracefully (SIGTERM), waiting for it to exit. */
  async stopService(name: string, graceMs = 10_000): Promise<void> {
    const entry = this.services.get(name);
    const child = entry?.child;
    if (!entry || !child) return;
    entry.child = null;
    await terminate(child, graceMs);
  }

  /** Stops every service gracefully, in reverse start order. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const entries = [...this.services.values()].reverse();
    await Promise.all(
      entries.map(async (e) => {
        const c = e.child;
        e.child = null;
        if (c) await terminate(c, graceMs);
      }),
    );
  }
}

/**
 * Node flags for a bundle (`pnpm build`), as production runs it; deploy/systemd and
 * deploy/docker-compose.yml pass the same (test/ops/deploy.test.ts).
 * - `--enable-source-maps`: stack traces go through the bundle's source map to the TypeScript.
 * - Heap (issue 8 target 7, RSS ≤ 150 MB under the bench's loads; live heap after a full GC stays
 *   30–40 MB in every service there, but V8 lets the heap grow to ~4× that before collecting):
 *   `--max-old-space-size=1024` is a ceiling far above the live heap, and it also lowers V8's heap
 *   growing factor from 4 to ~1.6 (v8 src/heap/heap-controller: the factor scales with the old space
 *   size between 256 MB and 2 GB); `--max-semi-space-size=4` keeps the young generation at 2 × 4 MB
 *   instead of 2 × 16 MB. Measured peak RSS: call-intake 235 → ~134 MB, retailcrm 183 → ~127, gateway
 *   149 → ~125, asterisk 107 → ~91, for ~6 % more CPU per event in call-intake (more frequent GCs);
 *   512 MB saved ~10 MB more for ~25 % more CPU. Re-measure with
 *   `BENCH_NODE_ARGS='…' pnpm bench --only 1,3,5` before changing.
 */
export const BUNDLE_NODE_ARGS: readonly string[] = [
  '--enable-source-maps',
  '--max-semi-space-size=4',
  '--max-old-space-size=1024',
];

/** How node runs an entry: TypeScript source through tsx's loader, a bundle as it is. */
export const nodeArgsFor = (entry: string): readonly string[] =>
  entry.endsWith('.ts') ? ['--import', 'tsx'] : BUNDLE_NODE_ARGS;

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Polls `url` until it answers 200; rejects after `timeoutMs` or when `dead()` says the process exited. */
export async function waitHealthy(url: string, timeoutMs: number, dead: () => boolean = () => false): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (dead()) throw new Error(`${url}: process exited before it was healthy`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms (${last})`);
}
