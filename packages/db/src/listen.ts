// A LISTEN that survives what postgres.js alone does not: PostgreSQL unreachable when the process
// starts (the first sql.listen() rejects and is never retried), and a re-LISTEN after a reconnect
// that fails silently (postgres.js swallows it: `.catch(() => {})` in its listen(), PITFALLS.md),
// leaving a deaf channel. A NOTIFY to ourselves on the channel proves it still hears.
import { randomBytes } from 'node:crypto';
import type { Sql } from './client.ts';

/** Payloads of our own heartbeat NOTIFYs start with this; they never reach onNotify. */
export const PING_PREFIX = 'fleet-ping:';

export interface KeepListeningOptions {
  /** Each notification's payload (heartbeat pings filtered out). */
  onNotify(payload: string): void;
  /**
   * After the first LISTEN and after every re-LISTEN (postgres.js reconnect, or ours): notifications
   * sent while we were not listening are lost, so whatever they would have invalidated must be.
   */
  onListen?(): void;
  /** Between heartbeats, and between attempts while not listening (ms, default 10 000). */
  heartbeatMs?: number;
  /** A heartbeat unanswered this long means the channel is deaf (ms, default min(heartbeatMs, 3000)). */
  pingTimeoutMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

export interface Listener {
  /** True between a LISTEN that took and the first missed heartbeat or failure. */
  readonly listening: boolean;
  /** Sends a ping now; true when it comes back within timeoutMs (for /ready). Never rejects. */
  heard(timeoutMs: number): Promise<boolean>;
  /** Stops the heartbeat and UNLISTENs. */
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` in the background (never blocks the caller, so a service can start while
 * PostgreSQL is down) and keeps it working: retried every heartbeatMs until it takes, and proven by
 * a self-NOTIFY every heartbeatMs afterwards (re-LISTEN → onListen when unheard).
 * Other listeners of the channel receive the pings too: they must ignore payloads starting with
 * PING_PREFIX (every payload our triggers send is an enterprise number).
 */
export function keepListening(sql: Sql, channel: string, o: KeepListeningOptions): Listener {
  const heartbeatMs = o.heartbeatMs ?? 10_000;
  const pingTimeoutMs = o.pingTimeoutMs ?? Math.min(heartbeatMs, 3000);
  const pongs = new Map<string, () => void>();
  let handle: { unlisten(): Promise<unknown> } | null = null;
  let listening = false;
  let stopped = false;
  let busy: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;

  const onNotify = (payload: string) => {
    if (payload.startsWith(PING_PREFIX)) return pongs.get(payload)?.();
    o.onNotify(payload);
  };
  const onListen = () => {
    listening = true;
    o.onListen?.();
  };

  async function listen(): Promise<void> {
    listening = false;
    const old = handle;
    handle = null;
    await old?.unlisten().catch(() => {});
    try {
      const h = await sql.listen(channel, onNotify, onListen);
      if (stopped) await h.unlisten().catch(() => {});
      else handle = h;
    } catch (err) {
      o.log?.warn({ err, channel }, 'LISTEN failed; retrying at the next heartbeat');
    }
  }

  async function ping(timeoutMs: number): Promise<boolean> {
    const nonce = `${PING_PREFIX}${randomBytes(6).toString('hex')}`;
    let timeout: NodeJS.Timeout | undefined;
    const heard = new Promise<boolean>((resolve) => {
      timeout = setTimeout(() => resolve(false), timeoutMs);
      pongs.set(nonce, () => resolve(true));
    });
    try {
      await Promise.race([sql`select pg_notify(${channel}, ${nonce})`, heard]);
      return await heard;
    } catch {
      return false;
    } finally {
      clearTimeout(timeout);
      pongs.delete(nonce);
    }
  }

  async function beat(): Promise<void> {
    if (!handle) return listen();
    if (await ping(pingTimeoutMs)) return;
    if (stopped) return;
    o.log?.warn({ channel }, 'LISTEN heartbeat not heard; listening again');
    await listen();
  }

  const run = () => {
    if (stopped || busy) return;
    busy = beat().finally(() => {
      busy = null;
      if (!stopped) timer = setTimeout(run, heartbeatMs);
    });
  };
  run();

  return {
    get listening() {
      return listening && handle !== null;
    },
    async heard(timeoutMs) {
      if (!handle) return false;
      return ping(timeoutMs);
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      await busy;
      await handle?.unlisten().catch(() => {});
      handle = null;
      listening = false;
    },
  };
}
