import fp from 'fastify-plugin';
import { backoffMs } from '@fleet/backoff';
import type { FastifyBaseLogger } from 'fastify';
import pLimit from 'p-limit';
import { Pool } from 'undici';
import type { CallEventBody } from '@fleet/call-event';
import type { Sql } from '@fleet/db';

const CLAIM_BATCH = 100;
/** Calls sent at once; more wait in arrival order. */
const CONCURRENCY = 32;

/** An outbox row this instance holds the lease of: claimed by a poll, or born leased by the processor. */
export interface OutboxLease {
  id: string;
  enterprise: string;
  call_id: string;
  dedup_key: string;
  payload: CallEventBody;
  attempts: number;
}

export interface Dispatcher {
  /** Looks for due rows now (coalesced): crash recovery, other instances' leases, backoffs run out. */
  kick(): void;
  /**
   * Sends rows the processor wrote already leased to this instance (no claim round trip). `waiting`:
   * the processor also wrote rows that wait behind an earlier pending row of their call.
   */
  sendLeased(rows: OutboxLease[], waiting?: boolean): void;
  /** One claim-and-send round; resolves with the number of rows claimed. */
  runOnce(): Promise<number>;
  /** Resolves when every send started so far has finished. */
  idle(): Promise<void>;
  stats: { sent: number; failed: number; dead: number; lastError: string | null };
  stop(): Promise<void>;
}

/**
 * Seconds until the next attempt after `attempts` failures: 0.5, 1, 2 … capped at 30, ±20 % jitter.
 * This is the one retry layer of a side effect (the gateway retries nothing, the RetailCRM client only
 * within one step), so its first steps are short: a CRM answering 503 to one request in five must not
 * push a hangup minutes out.
 */
export function backoffSeconds(attempts: number, random: () => number = Math.random): number {
  return backoffMs(attempts, { firstMs: 500, maxMs: 30_000, jitter: 0.2, random }) / 1000;
}

/** How long a leased row stays invisible to other instances: past the send's own deadline. */
export const leaseSecondsOf = (timeoutMs: number): number => Math.ceil(timeoutMs / 1000) + 10;

type SendResult =
  | { ok: true }
  | { ok: false; permanent: boolean; error: string; status?: number; response?: string; retryAfterSec?: number };

/**
 * The one queue and the one retry layer between a call's side effect and its integrations: an
 * intake_outbox row is sent to the gateway, which answers with the integrations' outcome, until it is
 * delivered, refused for good (dead, with a dead letter in integration_logs) or GIVE_UP_MS old (dead).
 * Rows are leased (instances never send one row at once), sent per call in id order (dial before
 * hangup), in parallel across calls; a failure puts the call's remaining rows back until the gateway's
 * Retry-After, or with exponential backoff when it gave none. Per-call order lives here and nowhere else.
 */
export function createDispatcher(
  sql: Sql,
  log: FastifyBaseLogger,
  opts: { gatewayUrl: string; timeoutMs: number; giveUpMs: number },
): Dispatcher {
  const url = new URL('/dispatch/call-event', opts.gatewayUrl);
  const pool = new Pool(url.origin, {
    connections: CONCURRENCY,
    connectTimeout: opts.timeoutMs,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  const leaseSec = leaseSecondsOf(opts.timeoutMs);
  const stats = { sent: 0, failed: 0, dead: 0, lastError: null as string | null };
  const limit = pLimit(CONCURRENCY);
  const inflight = new Set<Promise<void>>();
  /** Rows wait behind an earlier row of their call: look again as soon as a call's send finishes. */
  let waiting = false;

  async function send(row: OutboxLease): Promise<SendResult> {
    try {
      const res = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(row.payload),
      });
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
      const permanent =
        res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 408 && res.statusCode !== 429;
      const after = Number(res.headers['retry-after']);
      return {
        ok: false,
        permanent,
        status: res.statusCode,
        response: text.slice(0, 4000),
        error: `gateway ${res.statusCode}: ${text.slice(0, 300)}`,
        ...(Number.isFinite(after) && after > 0 ? { retryAfterSec: after } : {}),
      };
    } catch (err) {
      return { ok: false, permanent: false, error: (err as Error).message };
    }
  }

  /** Dead: the row and a dead letter in the integration journal (the admin page shows it) in one statement. */
  async function markDead(row: OutboxLease, r: Extract<SendResult, { ok: false }>, why: string): Promise<void> {
    stats.dead++;
    log.error({ enterprise: row.enterprise, callId: row.call_id, dedupKey: row.dedup_key, error: r.error }, why);
    await sql`
      with d as (update intake_outbox set status = 'dead', attempts = attempts + 1, last_error = ${r.error} where id = ${row.id})
      insert into integration_logs (enterprise, integration, kind, call_id, phone, method, url, request, status_code, response, ok, error)
      values (${row.enterprise}, 'retailcrm', 'dead_letter', ${row.call_id}, ${row.payload.call?.phone ?? null}, 'POST',
              ${url.toString()}, ${sql.json(row.payload as never)}, ${r.status ?? null}, ${r.response ?? null}, false, ${`${why}: ${r.error}`})`;
  }

  async function deliverCall(rows: OutboxLease[]): Promise<void> {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const r = await send(row);
      if (r.ok) {
        stats.sent++;
        await sql`update intake_outbox set status = 'done', delivered_at = now(), attempts = attempts + 1, last_error = null where id = ${row.id}`;
        continue;
      }
      stats.failed++;
      stats.lastError = r.error;
      if (r.permanent) {
        await markDead(row, r, 'refused for good; dead-lettered');
        continue;
      }
      const [{ old } = { old: false }] = await sql<{ old: boolean }[]>`
        select created_at < now() - ${opts.giveUpMs} * interval '1 millisecond' as old from intake_outbox where id = ${row.id}`;
      if (old) {
        await markDead(row, r, `still failing after ${Math.round(opts.giveUpMs / 60_000)} min; given up`);
        continue;
      }
      log.warn(
        { enterprise: row.enterprise, callId: row.call_id, dedupKey: row.dedup_key, error: r.error },
        'delivery failed; will retry',
      );
      // The integration's own Retry-After when it gave one (a step's lease running out, RetailCRM's rate
      // limit, an open breaker): it knows when trying again makes sense; else exponential backoff.
      const delay = r.retryAfterSec ?? backoffSeconds(row.attempts + 1);
      const rest = rows.slice(i).map((x) => x.id);
      await sql`update intake_outbox set attempts = attempts + case when id = ${row.id} then 1 else 0 end,
                last_error = case when id = ${row.id} then ${r.error} else last_error end,
                next_attempt_at = now() + make_interval(secs => ${delay})
                where id = any(${rest}::bigint[])`;
      return; // later rows of this call wait for this one: per-call order
    }
  }

  /** Queues each call's rows (in id order) for sending, bounded by CONCURRENCY. */
  function dispatch(rows: OutboxLease[]): Promise<void>[] {
    const byCall = new Map<string, OutboxLease[]>();
    for (const row of [...rows].sort((a, b) => Number(a.id) - Number(b.id))) {
      const k = `${row.enterprise}\n${row.call_id}`;
      byCall.set(k, [...(byCall.get(k) ?? []), row]);
    }
    return [...byCall.values()].map((group) => {
      const p: Promise<void> = limit(() => deliverCall(group))
        .catch((err) =>
          log.warn(
            { err, enterprise: group[0]!.enterprise, callId: group[0]!.call_id },
            'delivery bookkeeping failed; the lease expires and a poll retries',
          ),
        )
        .finally(() => {
          inflight.delete(p);
          if (waiting) kick();
        });
      inflight.add(p);
      return p;
    });
  }

  async function runOnce(): Promise<number> {
    const claimed = await sql<OutboxLease[]>`
      update intake_outbox set next_attempt_at = now() + make_interval(secs => ${leaseSec})
      where id in (
        select o.id from intake_outbox o
        where o.status = 'pending' and o.next_attempt_at <= now()
          -- Per-call order across rounds: a row waits while an earlier row of its call is pending and
          -- not due (in backoff, or leased by a send in flight). Without this, a hangup written
          -- while its dial waited out a backoff went first, and the popup stayed open.
          and not exists (
            select 1 from intake_outbox p
            where p.enterprise = o.enterprise and p.call_id = o.call_id and p.id < o.id
              and p.status = 'pending' and p.next_attempt_at > now())
        order by o.id limit ${CLAIM_BATCH} for update of o skip locked)
      returning id, enterprise, call_id, dedup_key, payload, attempts`;
    if (claimed.length === 0 && inflight.size === 0) waiting = false;
    await Promise.all(dispatch(claimed));
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

  async function idle(): Promise<void> {
    while (running || inflight.size) await Promise.all([running, ...inflight]);
  }

  return {
    kick,
    sendLeased: (rows, rowsWaiting) => {
      if (rowsWaiting) waiting = true;
      if (!stopped && rows.length) dispatch(rows);
    },
    runOnce,
    idle,
    stats,
    async stop() {
      stopped = true;
      await idle();
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
  async (
    app,
    opts: { sql: Sql; gatewayUrl: string; timeoutMs: number; giveUpMs: number; pollMs: number; workers: boolean },
  ) => {
    const dispatcher = createDispatcher(opts.sql, app.log, opts);
    app.decorate('dispatcher', dispatcher);
    app.processor.onDeliveries((leased, waiting) => {
      if (opts.workers) dispatcher.sendLeased(leased, waiting);
    });
    const timer = opts.workers ? setInterval(() => dispatcher.kick(), opts.pollMs) : undefined;
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await dispatcher.stop();
    });
  },
  { name: 'dispatcher', dependencies: ['call-processor'] },
);
