// Delivers pending gateway_deliveries: calls in parallel (bounded), each call's rows one by one in id
// order, every row in its own transaction that holds the call's progress row (delivery-store.ts).
// Transient failures are retried in process (p-retry), then rescheduled with backoff until GIVE_UP_MS;
// permanent ones go dead at once. Deliveries are at-least-once: a crash between the upstream's 2xx
// and our commit re-sends the row, which the integration's service absorbs by (callId, dedup_key).
import pRetry, { AbortError } from 'p-retry';
import type { Sql } from '@fleet/db';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { rescheduleDelayMs } from '../domain/backoff.ts';
import { syntheticDialOf } from '../domain/payload.ts';
import { BreakerOpenError } from '../errors.ts';
import type { Breakers } from './breakers.ts';
import * as store from './delivery-store.ts';
import type { CallKey, DeliveryRow } from './delivery-store.ts';
import type { ForwardBody } from '../domain/payload.ts';
import type { Integration } from '../domain/enablement.ts';
import type { Forwarder, ForwardFailure } from './forwarder.ts';

export interface DeliveryWorkerOptions {
  sql: Sql;
  log: Logger;
  forwarder: Forwarder;
  breakers: Breakers;
  pollMs: number;
  concurrency: number;
  retries: number;
  retryMinMs: number;
  giveUpMs: number;
  rescheduleMaxMs: number;
  /** Whether the integration is still on for the enterprise (the enablement cache). */
  isEnabled: (enterprise: string, integration: Integration) => Promise<boolean>;
}

type Step = 'next' | 'stop';
type Failure = Error & ForwardFailure;

/** The worker: `kick` after a dispatch commits, `start`/`stop` with the app, `stats` for /stats. */
export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;

/** Creates the worker; it polls only between `start()` and `stop()`. */
export function createDeliveryWorker(o: DeliveryWorkerOptions) {
  const inflight = new Map<string, Promise<void>>();
  const counters = { delivered: 0, synthetic: 0, superseded: 0, disabled: 0, rescheduled: 0, dead: 0, retries: 0, errors: 0 };
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | null = null;
  let again = false;

  const keyOf = (k: CallKey) => `${k.enterprise}/${k.integration}/${k.call_id}`;

  /** One forward through the breaker, retried in process on transient failures only. */
  function forward(row: DeliveryRow, body: ForwardBody): Promise<unknown> {
    const breaker = o.breakers.of(row.enterprise, row.integration);
    return pRetry(
      async () => {
        try {
          return await breaker.fire(row.integration, body);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'EOPENBREAKER') throw new AbortError(new BreakerOpenError(`${row.enterprise}/${row.integration}`));
          if (code === 'GW_UPSTREAM_PERMANENT') throw new AbortError(err as Error);
          throw err;
        }
      },
      {
        retries: o.retries,
        minTimeout: o.retryMinMs,
        maxTimeout: 5_000,
        factor: 2,
        randomize: true,
        unref: true,
        onFailedAttempt: async ({ error, retriesLeft }) => {
          counters.retries++;
          o.log.debug({ enterprise: row.enterprise, callId: row.call_id, err: error, retriesLeft }, 'forward failed');
          // Honour the upstream's Retry-After (bounded: the call's transaction is open meanwhile).
          const after = (error as Failure).retryAfterMs;
          if (after && retriesLeft > 0) await new Promise((r) => setTimeout(r, Math.min(after, 5_000)));
        },
      },
    );
  }

  /** Forwards `body`; the failure, or null on success. */
  const attempt = (row: DeliveryRow, body: ForwardBody): Promise<Failure | null> =>
    forward(row, body).then(
      () => null,
      (err: unknown) => (err instanceof Error ? (err as Failure) : (new Error(String(err)) as Failure)),
    );

  async function fail(tx: store.Tx, row: DeliveryRow, err: Failure, log: Logger): Promise<Step> {
    const attempted = err.code !== 'GW_BREAKER_OPEN';
    const url = o.forwarder.urlOf(row.integration);
    if (err.code === 'GW_UPSTREAM_PERMANENT' || row.age_ms >= o.giveUpMs) {
      await store.markDead(tx, row, { error: err.message, url, upstreamStatus: err.upstreamStatus, response: err.response, attempted });
      counters.dead++;
      log.error({ err, deliveryId: row.id }, 'delivery dead-lettered');
      return 'next';
    }
    const delay = rescheduleDelayMs(row.attempts + 1, o.rescheduleMaxMs);
    await store.reschedule(tx, row, delay, err.message, attempted);
    counters.rescheduled++;
    log.warn({ err: { code: err.code, message: err.message }, deliveryId: row.id, delayMs: delay }, 'delivery rescheduled');
    return 'stop'; // later rows of this call wait: per-call order
  }

  /** Delivers the call's next due row; 'next' when the following row may go at once. */
  function step(k: CallKey): Promise<Step> {
    return o.sql.begin(async (tx) => {
      const progress = await store.lockCall(tx, k);
      if (!progress) return 'stop'; // another instance holds this call
      const row = await store.headDelivery(tx, k);
      if (!row || !row.due) return 'stop';
      const log = o.log.child({ enterprise: row.enterprise, callId: row.call_id, integration: row.integration });
      // Switched off since dispatch: the integration's service would only refuse it.
      if (!(await o.isEnabled(row.enterprise, row.integration))) {
        await store.markDisabled(tx, row);
        counters.disabled++;
        log.info({ dedupKey: row.dedup_key }, 'integration disabled; delivery dropped');
        return 'next';
      }
      if (row.event_type === 'dial' && progress.hangup_done) {
        await store.markSuperseded(tx, row);
        counters.superseded++;
        log.info({ dedupKey: row.dedup_key }, 'dial after hangup superseded');
        return 'next';
      }
      if (row.event_type === 'hangup' && !progress.dial_done) {
        const dial = syntheticDialOf(row.payload);
        const failed = await attempt(row, dial);
        if (failed) return fail(tx, row, failed, log);
        await store.recordSyntheticDial(tx, row, dial);
        counters.synthetic++;
        log.info('synthetic dial delivered before hangup');
      }
      const failed = await attempt(row, row.payload);
      if (failed) return fail(tx, row, failed, log);
      await store.markDone(tx, row);
      counters.delivered++;
      log.info({ event: row.event_type, dedupKey: row.dedup_key }, 'delivered');
      return 'next';
    });
  }

  /** Steps through one call; how many rows it settled (0 when the call was busy elsewhere or not due). */
  async function drainCall(k: CallKey): Promise<number> {
    let settled = 0;
    try {
      while (running && (await step(k)) === 'next') settled++;
    } catch (err) {
      counters.errors++;
      o.log.error({ err, enterprise: k.enterprise, callId: k.call_id }, 'delivery step failed');
    }
    return settled;
  }

  async function tickOnce(): Promise<void> {
    const free = o.concurrency - inflight.size;
    if (free <= 0) return;
    const calls = await store.dueCalls(o.sql, o.concurrency * 2);
    for (const k of calls) {
      if (!running || inflight.size >= o.concurrency) break;
      const key = keyOf(k);
      if (inflight.has(key)) continue;
      const p = drainCall(k).then((settled) => {
        inflight.delete(key);
        // A slot is free: look again at once, unless this call was held by another instance (then
        // the poll timer retries it; kicking would spin on the same locked call).
        if (settled > 0) kick();
      });
      inflight.set(key, p);
    }
  }

  /** Looks for due deliveries now (coalesced with a poll in progress). */
  function kick(): void {
    if (!running) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = (async () => {
      try {
        do {
          again = false;
          await tickOnce();
        } while (again && running);
      } catch (err) {
        counters.errors++;
        o.log.warn({ err }, 'delivery poll failed');
      } finally {
        ticking = null;
      }
    })();
  }

  function arm(): void {
    timer = setTimeout(() => {
      kick();
      if (running) arm();
    }, o.pollMs);
    timer.unref();
  }

  return {
    kick,
    start(): void {
      if (running) return;
      running = true;
      arm();
      kick();
    },
    /** Stops polling and waits for the calls being delivered to finish their current row. */
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await ticking;
      await Promise.allSettled([...inflight.values()]);
    },
    stats: () => ({ running, inflightCalls: inflight.size, ...counters }),
  };
}
