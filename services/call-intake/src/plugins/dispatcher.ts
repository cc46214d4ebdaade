import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import { Pool } from 'undici';
import type { Sql } from '@fleet/db';

/** A claimed row is invisible to other dispatchers (instances) for this long. */
const LEASE_SECONDS = 30;
const CLAIM_BATCH = 100;
const CONCURRENCY = 16;

interface OutboxClaim {
  id: string;
  enterprise: string;
  call_id: string;
  event_type: string;
  dedup_key: string;
  payload: unknown;
  attempts: number;
}

export interface Dispatcher {
  /** Wakes the loop now (after the processor committed new rows). */
  kick(): void;
  /** One claim-and-send round; resolves with the number of rows claimed. */
  runOnce(): Promise<number>;
  stats: { sent: number; failed: number; lastError: string | null };
  stop(): Promise<void>;
}

/** Seconds until the next attempt after `attempts` failures: 1, 2, 4 … capped at 60, ±20 % jitter. */
export function backoffSeconds(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(60, 2 ** Math.max(0, attempts - 1));
  return base * (0.8 + 0.4 * random());
}

/**
 * Sends intake_outbox rows to the gateway until it acknowledges, however long it is down: rows are
 * claimed with a lease (`FOR UPDATE SKIP LOCKED`, so instances never send the same row at once), sent
 * per call in id order (dial before hangup) and in parallel across calls, and a failure reschedules
 * the call's remaining rows with exponential backoff. Nothing is ever dropped: a 4xx (a bug, not an
 * outage) marks the row dead with its reason, visible in the table.
 */
export function createDispatcher(sql: Sql, log: FastifyBaseLogger, opts: { gatewayUrl: string; timeoutMs: number }): Dispatcher {
  const url = new URL('/dispatch/call-event', opts.gatewayUrl);
  const pool = new Pool(url.origin, {
    connections: CONCURRENCY,
    connectTimeout: opts.timeoutMs,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  const stats = { sent: 0, failed: 0, lastError: null as string | null };

  async function send(row: OutboxClaim): Promise<{ ok: true } | { ok: false; permanent: boolean; error: string }> {
    try {
      const res = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(row.payload),
      });
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
      const permanent = res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 408 && res.statusCode !== 429;
      return { ok: false, permanent, error: `gateway ${res.statusCode}: ${text.slice(0, 300)}` };
    } catch (err) {
      return { ok: false, permanent: false, error: (err as Error).message };
    }
  }

  async function deliverCall(rows: OutboxClaim[]): Promise<void> {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const r = await send(row);
      if (r.ok) {
        stats.sent++;
        await sql`update intake_outbox set status = 'done', delivered_at = now(), attempts = attempts + 1,
                  last_error = null where id = ${row.id}`;
        continue;
      }
      stats.failed++;
      stats.lastError = r.error;
      log.warn({ enterprise: row.enterprise, callId: row.call_id, dedupKey: row.dedup_key, error: r.error }, 'gateway delivery failed');
      if (r.permanent) {
        await sql`update intake_outbox set status = 'dead', attempts = attempts + 1, last_error = ${r.error} where id = ${row.id}`;
        continue;
      }
      const delay = backoffSeconds(row.attempts + 1);
      const rest = rows.slice(i).map((x) => x.id);
      await sql`update intake_outbox set attempts = attempts + case when id = ${row.id} then 1 else 0 end,
                last_error = case when id = ${row.id} then ${r.error} else last_error end,
                next_attempt_at = now() + make_interval(secs => ${delay})
                where id = any(${rest}::bigint[])`;
      return; // later rows of this call wait for this one: per-call order
    }
  }

  async function runOnce(): Promise<number> {
    const claimed = await sql<OutboxClaim[]>`
      update intake_outbox set next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS})
      where id in (
        select o.id from intake_outbox o
        where o.status = 'pending' and o.next_attempt_at <= now()
          -- Per-call order across rounds: a row waits while an earlier row of its call is pending and
          -- not due (in backoff, or leased by a round in flight). Without this, a hangup written
          -- while its dial waited out a backoff went first, and the gateway dropped the late dial.
          and not exists (
            select 1 from intake_outbox p
            where p.enterprise = o.enterprise and p.call_id = o.call_id and p.id < o.id
              and p.status = 'pending' and p.next_attempt_at > now())
        order by o.id limit ${CLAIM_BATCH} for update of o skip locked)
      returning id, enterprise, call_id, event_type, dedup_key, payload, attempts`;
    const byCall = new Map<string, OutboxClaim[]>();
    for (const row of claimed.sort((a, b) => Number(a.id) - Number(b.id))) {
      const k = `${row.enterprise}\n${row.call_id}`;
      byCall.set(k, [...(byCall.get(k) ?? []), row]);
    }
    const groups = [...byCall.values()];
    const workers = Array.from({ length: Math.min(CONCURRENCY, groups.length) }, async () => {
      for (let g = groups.shift(); g; g = groups.shift()) await deliverCall(g);
    });
    await Promise.all(workers);
    return claimed.length;
  }

  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while ((await runOnce()) === CLAIM_BATCH && !stopped);
        } while (again && !stopped);
      } catch (err) {
        log.warn({ err }, 'dispatcher round failed; will retry');
      } finally {
        running = null;
      }
    })();
  }

  return {
    kick,
    runOnce,
    stats,
    async stop() {
      stopped = true;
      await running;
      await pool.close();
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    dispatcher: Dispatcher;
  }
}

export default fp(
  async (app, opts: { sql: Sql; gatewayUrl: string; timeoutMs: number; pollMs: number; workers: boolean }) => {
    const dispatcher = createDispatcher(opts.sql, app.log, opts);
    app.decorate('dispatcher', dispatcher);
    app.processor.onDeliveries(() => opts.workers && dispatcher.kick());
    const timer = opts.workers ? setInterval(() => dispatcher.kick(), opts.pollMs) : undefined;
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await dispatcher.stop();
    });
  },
  { name: 'dispatcher', dependencies: ['call-processor'] },
);
