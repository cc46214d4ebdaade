// Per host: ONE kept-alive SSH connection reused by every command, a concurrency limit (OpenSSH
// allows 10 sessions per connection by default) and an opossum circuit breaker, so that a dead host
// costs callers a fast, explained error instead of a pile of hanging connects. On the connection,
// Asterisk CLI lines run in long-lived shells, one per busy slot (shell.ts), other commands and hosts
// that refuse a shell use an exec channel per command.
import CircuitBreaker from 'opossum';
import type { NodeSSH } from 'node-ssh';
import { openConnection, targetName, type ExecResult, type HostTarget } from './connection.ts';
import { HostError } from './errors.ts';
import { createLimiter, type Limiter } from './limiter.ts';
import { createShellTransport, type ShellTransport, type Transport } from './shell.ts';

export interface HostPoolOptions {
  /** SSH handshake deadline (ms, issue 6: 5000). */
  connectTimeoutMs?: number;
  /** Deadline of one command (ms, issue 6: 10000). */
  commandTimeoutMs?: number;
  /** Commands running at once per host; more wait in line. */
  concurrency?: number;
  /** How many may wait; beyond that AST_HOST_BUSY at once. */
  maxQueue?: number;
  keepaliveIntervalMs?: number;
  /** A connection unused this long is closed (ms). */
  idleCloseMs?: number;
  breaker?: {
    /** Open → half-open after this (ms). */
    resetTimeoutMs?: number;
    /** Failures (in %) over the rolling window that open it. */
    errorThresholdPercentage?: number;
    /** Calls in the window before it may open. */
    volumeThreshold?: number;
    rollingCountTimeoutMs?: number;
  };
  /** Breaker transitions, for logs. */
  onBreaker?: (host: string, state: 'open' | 'halfOpen' | 'close') => void;
}

export interface HostStats {
  host: string;
  breaker: 'closed' | 'open' | 'half-open';
  connected: boolean;
  active: number;
  queued: number;
  /** How CLI lines travel on the current connection (null: not connected): see shell.ts. */
  transport: Transport | null;
  /** Shells open on the current connection. */
  shells: number;
}

export interface ExecOptions {
  /**
   * Epoch ms by which the command must be over: the wait for a slot, the connect and the command
   * itself all fit in what is left (each still within its own limit). A command is never started
   * after it: AST_REQUEST_DEADLINE (504) instead. A request that runs several commands passes the
   * same deadline to each, so its total stays under its caller's timeout.
   */
  deadline?: number;
}

export interface HostPool {
  /**
   * Runs `command` on the host. Resolves with stdout/stderr/exit status (a non-zero exit is a
   * result, not an error; over a shell — CLI lines, shell.ts — stderr comes merged into stdout, as
   * callers read the answer anyway). @throws HostError (see errors.ts), AST_HOST_CIRCUIT_OPEN while
   * the breaker is open.
   */
  exec(target: HostTarget, command: string, opts?: ExecOptions): Promise<ExecResult>;
  stats(): HostStats[];
  close(): Promise<void>;
}

interface Entry {
  key: string;
  target: HostTarget;
  ssh: NodeSSH | null;
  /** The shells of `ssh` (they live and die with it). */
  shells: ShellTransport | null;
  connecting: Promise<{ ssh: NodeSSH; shells: ShellTransport }> | null;
  limiter: Limiter;
  breaker: CircuitBreaker<[string, number | undefined], ExecResult>;
  lastUsed: number;
}

/** Creates an empty pool; entries appear per (user, host, port, key file, pinned key) on first use. */
export function createHostPool(opts: HostPoolOptions = {}): HostPool {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 10_000;
  const entries = new Map<string, Entry>();
  let closed = false;

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const e of entries.values()) {
        if (e.ssh && e.limiter.active === 0 && now - e.lastUsed > (opts.idleCloseMs ?? 600_000)) drop(e);
      }
    },
    Math.min(opts.idleCloseMs ?? 600_000, 60_000),
  );
  sweeper.unref();

  function drop(e: Entry): void {
    const ssh = e.ssh;
    e.shells?.close();
    e.ssh = null;
    e.shells = null;
    ssh?.dispose();
  }

  async function connection(e: Entry): Promise<{ ssh: NodeSSH; shells: ShellTransport; reused: boolean }> {
    if (e.ssh?.isConnected() && e.shells) return { ssh: e.ssh, shells: e.shells, reused: true };
    if (e.ssh) drop(e);
    if (!e.connecting) {
      e.connecting = openConnection(e.target, { connectTimeoutMs, keepaliveIntervalMs: opts.keepaliveIntervalMs })
        .then((ssh) => {
          if (closed) {
            ssh.dispose();
            throw new HostError('AST_HOST_UNREACHABLE', 'pool closed');
          }
          const shells = createShellTransport(ssh);
          e.ssh = ssh;
          e.shells = shells;
          ssh.connection?.on('close', () => {
            shells.close();
            if (e.ssh === ssh) {
              e.ssh = null;
              e.shells = null;
            }
          });
          return { ssh, shells };
        })
        .finally(() => {
          e.connecting = null;
        });
    }
    return { ...(await e.connecting), reused: false };
  }

  async function run(e: Entry, command: string, deadline: number | undefined): Promise<ExecResult> {
    const name = targetName(e.target);
    const left = () => (deadline === undefined ? Infinity : deadline - Date.now());
    const late = (what: string) =>
      new HostError(
        'AST_REQUEST_DEADLINE',
        `${name}: ${what} before the request's deadline; the command was not sent`,
        { channelOpened: false },
      );
    if (left() <= 0) throw late('no time left');
    const release = await e.limiter.acquire(Math.min(commandTimeoutMs, left()));
    try {
      e.lastUsed = Date.now();
      const first = await beforeDeadline(connection(e), left(), () => late('no SSH connection'));
      /** The command's own limit, or what is left of the request's deadline if that is shorter. */
      const runIt = async (shells: ShellTransport) => {
        const budget = Math.floor(Math.min(commandTimeoutMs, left()));
        if (budget <= 0) throw late('no time left');
        try {
          return strip(await shells.run(command, budget, name));
        } catch (err) {
          const h = err as HostError;
          // Cut short by the caller's deadline, not by the command's own limit: no verdict on the host.
          if (h.code === 'AST_HOST_COMMAND_TIMEOUT' && budget < commandTimeoutMs) {
            throw new HostError(
              'AST_REQUEST_DEADLINE',
              `${h.message} (what was left of the request's deadline)`,
              h.details,
            );
          }
          throw err;
        }
      };
      try {
        return await runIt(first.shells);
      } catch (err) {
        const h = err as HostError;
        if (h.details?.channelOpened === false && h.code !== 'AST_REQUEST_DEADLINE') drop(e);
        // A pooled connection that died silently (host rebooted): the command never started, so
        // one retry on a fresh connection is safe. A fresh connection failing is a real failure.
        if (first.reused && h.code === 'AST_HOST_UNREACHABLE' && h.details?.channelOpened === false) {
          const again = await beforeDeadline(connection(e), left(), () => late('no SSH connection'));
          return await runIt(again.shells);
        }
        throw err;
      }
    } finally {
      e.lastUsed = Date.now();
      release();
    }
  }

  function entry(t: HostTarget): Entry {
    const key = `${targetName(t)}|${t.keyFile}|${t.hostKey}`;
    let e = entries.get(key);
    if (e) return e;
    const created: Entry = {
      key,
      target: t,
      ssh: null,
      shells: null,
      connecting: null,
      limiter: createLimiter(
        opts.concurrency ?? 4,
        opts.maxQueue ?? 100,
        () => new HostError('AST_HOST_BUSY', `${targetName(t)} is busy: too many commands waiting`),
      ),
      breaker: undefined as never,
      lastUsed: Date.now(),
    };
    created.breaker = new CircuitBreaker(
      (command: string, deadline: number | undefined) => run(created, command, deadline),
      {
        timeout: false, // our own deadlines are finer: connect 5 s, command 10 s
        resetTimeout: opts.breaker?.resetTimeoutMs ?? 30_000,
        errorThresholdPercentage: opts.breaker?.errorThresholdPercentage ?? 50,
        volumeThreshold: opts.breaker?.volumeThreshold ?? 3,
        rollingCountTimeout: opts.breaker?.rollingCountTimeoutMs ?? 30_000,
        // true = "not a failure of the host": a busy host or a bad request must not open the breaker.
        errorFilter: (err: unknown) => !(err instanceof HostError && err.countsAgainstHost),
      },
    );
    const name = targetName(t);
    created.breaker.on('open', () => opts.onBreaker?.(name, 'open'));
    created.breaker.on('halfOpen', () => opts.onBreaker?.(name, 'halfOpen'));
    created.breaker.on('close', () => opts.onBreaker?.(name, 'close'));
    entries.set(key, created);
    return created;
  }

  return {
    async exec(target, command, o = {}) {
      if (closed) throw new HostError('AST_HOST_UNREACHABLE', 'host pool is closed');
      const e = entry(target);
      try {
        return await e.breaker.fire(command, o.deadline);
      } catch (err) {
        if ((err as { code?: string }).code === 'EOPENBREAKER') {
          throw new HostError(
            'AST_HOST_CIRCUIT_OPEN',
            `${targetName(target)} failed repeatedly: not trying for up to ${Math.round((opts.breaker?.resetTimeoutMs ?? 30_000) / 1000)} s (circuit open)`,
          );
        }
        throw err;
      }
    },
    stats: () =>
      [...entries.values()].map((e) => ({
        host: targetName(e.target),
        breaker: e.breaker.opened ? 'open' : e.breaker.halfOpen ? 'half-open' : 'closed',
        connected: Boolean(e.ssh?.isConnected()),
        active: e.limiter.active,
        queued: e.limiter.queued,
        transport: e.ssh?.isConnected() && e.shells ? e.shells.transport : null,
        shells: e.shells?.shells ?? 0,
      })),
    async close() {
      closed = true;
      clearInterval(sweeper);
      for (const e of entries.values()) {
        e.breaker.shutdown();
        drop(e);
      }
      entries.clear();
    },
  };
}

/**
 * `p`, unless `ms` pass first: then `late()`. The connect goes on for whoever else waits on it (one
 * connect per host is shared); its outcome is then simply not ours.
 */
function beforeDeadline<T>(p: Promise<T>, ms: number, late: () => Error): Promise<T> {
  if (ms === Infinity) return p;
  p.catch(() => undefined); // abandoned on the deadline: its rejection must not go unhandled
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(late()), Math.max(0, ms))));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const strip = ({ channelOpened: _, ...r }: ExecResult & { channelOpened: boolean }): ExecResult => r;
