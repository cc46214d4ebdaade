import fp from 'fastify-plugin';
import { backoffMs } from '@fleet/backoff';
import type { FastifyBaseLogger } from 'fastify';
import { Pool } from 'undici';
import type { CallEventBody } from '@fleet/call-event';
import type { Sql } from '@fleet/db';
import { createLanes, createLeasedTable, createRounds, type LaneHandle } from '@fleet/leased-queue';

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
  /** One claim-and-send round; resolves with the number of rows claimed, once their done marks are written. */
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

/**
 * The outbox as a leased queue (@fleet/leased-queue): the lease is the due time pushed out, so a leased
 * row is simply not due; a row waits while an earlier row of its call is pending and not due (in
 * backoff, or leased by a send in flight). Without that rule, a hangup written while its dial waited
 * out a backoff went first, and the popup stayed open.
 */
const OUTBOX = {
  table: 'intake_outbox',
  returning: 't.id, t.enterprise, t.call_id, t.dedup_key, t.payload, t.attempts',
  due: `q.status = 'pending' and q.next_attempt_at <= now()
    and not exists (
      select 1 from intake_outbox p
      where p.enterprise = q.enterprise and p.call_id = q.call_id and p.id < q.id
        and p.status = 'pending' and p.next_attempt_at > now())`,
  order: 'q.id',
  lease: 'next_attempt_at',
  doneSet: 'delivered_at = now(), attempts = attempts + 1, last_error = null',
  deadSet: 'attempts = attempts + 1',
};

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
  const stats = { sent: 0, failed: 0, dead: 0, lastError: null as string | null };
  /** Rows wait behind an earlier row of their call: look again as soon as a call's send finishes. */
  let waiting = false;
  let stopped = false;
  const outbox = createLeasedTable<OutboxLease>(sql, OUTBOX, {
    leaseMs: leaseSecondsOf(opts.timeoutMs) * 1000,
    onMarkError: (err, ids) => log.warn({ err, rows: ids.length }, 'outbox done marks not written; retrying'),
  });

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
    await outbox.dead(
      row.id,
      r.error,
      sql`insert into integration_logs (enterprise, integration, kind, call_id, phone, method, url, request, status_code, response, ok, error)
      values (${row.enterprise}, 'retailcrm', 'dead_letter', ${row.call_id}, ${row.payload.call?.phone ?? null}, 'POST',
              ${url.toString()}, ${sql.json(row.payload as never)}, ${r.status ?? null}, ${r.response ?? null}, false, ${`${why}: ${r.error}`})`,
    );
  }

  /** Sends one row of a call; a retry puts the call's rows queued behind it back with it (per-call order). */
  async function deliver(row: OutboxLease, call: LaneHandle<OutboxLease>): Promise<void> {
    try {
      const r = await send(row);
      if (r.ok) {
        stats.sent++;
        // Coalesced with the rows of other calls finishing within a few ms: one statement for all. Not
        // awaited: the integrations answered, so the call's next row may go (its order at the CRM is this
        // answer, not our mark), and the send slot is not held for the mark's window. A mark given up
        // leaves the row to its lease: sent again, which the integrations skip as done.
        outbox.done(row.id).catch(() => {});
        return;
      }
      stats.failed++;
      stats.lastError = r.error;
      if (r.permanent) return await markDead(row, r, 'refused for good; dead-lettered');
      const [{ old } = { old: false }] = await sql<{ old: boolean }[]>`
        select created_at < now() - ${opts.giveUpMs} * interval '1 millisecond' as old from intake_outbox where id = ${row.id}`;
      if (old) return await markDead(row, r, `still failing after ${Math.round(opts.giveUpMs / 60_000)} min; given up`);
      log.warn(
        { enterprise: row.enterprise, callId: row.call_id, dedupKey: row.dedup_key, error: r.error },
        'delivery failed; will retry',
      );
      // The integration's own Retry-After when it gave one (a step's lease running out, RetailCRM's rate
      // limit, an open breaker): it knows when trying again makes sense; else exponential backoff.
      const afterSec = r.retryAfterSec ?? backoffSeconds(row.attempts + 1);
      const rest = call.drain().map((x) => x.id); // later rows of this call wait for this one: per-call order
      await outbox.retry(row.id, { afterSec, error: r.error, alsoIds: rest });
    } catch (err) {
      // The call's rows not yet sent stay leased: the lease expires and a poll sends them in order.
      call.drain();
      log.warn(
        { err, enterprise: row.enterprise, callId: row.call_id },
        'delivery bookkeeping failed; the lease expires and a poll retries',
      );
    }
  }

  /** One lane per call: its rows one after the other, CONCURRENCY sends at once in order of arrival. */
  const calls = createLanes<OutboxLease>({
    perLane: 1,
    concurrency: CONCURRENCY,
    idOf: (row) => row.id,
    work: deliver,
    onLaneIdle: () => {
      // Rows written behind a pending row of their call become claimable once that row's mark is in.
      if (waiting) void outbox.flush().then(() => rounds.kick());
    },
    onError: (err) => log.warn({ err }, 'delivery failed unexpectedly; the lease expires and a poll retries'),
  });

  /** Queues each call's rows (in id order) for sending; resolves when they are sent (or put back). */
  function dispatch(rows: OutboxLease[]): Promise<void> {
    const byCall = new Map<string, OutboxLease[]>();
    for (const row of [...rows].sort((a, b) => Number(a.id) - Number(b.id))) {
      const k = `${row.enterprise}\n${row.call_id}`;
      byCall.set(k, [...(byCall.get(k) ?? []), row]);
    }
    return Promise.all([...byCall].map(([k, group]) => calls.push(k, group))).then(() => {});
  }

  async function runOnce(): Promise<number> {
    const claimed = await outbox.claim({ n: CLAIM_BATCH });
    if (claimed.length === 0 && calls.size === 0) waiting = false;
    await dispatch(claimed);
    await outbox.flush(); // a round ends with its rows' marks written
    return claimed.length;
  }

  const rounds = createRounds({
    round: async () => {
      while ((await runOnce()) === CLAIM_BATCH && !stopped);
      return undefined;
    },
    onError: (err) => log.warn({ err }, 'dispatcher round failed; will retry'),
  });

  async function idle(): Promise<void> {
    while (rounds.running || calls.size) await Promise.all([rounds.idle(), calls.idle()]);
    await outbox.flush();
  }

  return {
    kick: rounds.kick,
    sendLeased: (rows, rowsWaiting) => {
      if (!stopped && rows.length) void dispatch(rows);
      if (!rowsWaiting) return;
      waiting = true;
      // The row they wait behind may be delivered already with its done mark still in the window: once
      // the marks are in, a claim finds them (else the lane that finishes it kicks, as above).
      if (!stopped) void outbox.flush().then(() => rounds.kick());
    },
    runOnce,
    idle,
    stats,
    async stop() {
      stopped = true;
      await rounds.stop();
      await calls.stop();
      await outbox.close();
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
