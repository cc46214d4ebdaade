import fp from 'fastify-plugin';
import type { Sql } from '@fleet/db';
import type { HostEventType } from '@fleet/asterisk-events';
import { isOutage, withDeadline } from '../journal/outage.ts';

export interface IncomingEvent {
  enterprise: string;
  type: HostEventType;
  uniqueId: string;
  idempotencyKey: string;
  body: Record<string, unknown>;
  /** Our clock at arrival, ms. */
  receivedAt: number;
}

export interface StoreResult {
  /** call_events.id, or null when this exact event was already stored (a retransmission) or journaled. */
  id: number | null;
  /** True when the event was kept in the local journal (PostgreSQL down), to be drained later. */
  journaled?: boolean;
}

/** Where events go while PostgreSQL cannot take them (src/journal). */
export interface EventFallback {
  /** True while events must go to the fallback (so that none overtakes an event kept there). */
  engaged(): boolean;
  /** Keeps the events durably; one settled result per event, in order. */
  keep(evs: IncomingEvent[], cause?: unknown): Promise<PromiseSettledResult<void>[]>;
}

export interface EventStore {
  /** Resolves once the event is committed (durable) in call_events. @throws on database failure. */
  append(ev: IncomingEvent): Promise<StoreResult>;
  /** Listener called with the enterprises of each committed batch (to wake the processor). */
  onCommit(fn: (enterprises: Set<string>) => void): void;
  stats: { batches: number; events: number; duplicates: number; maxBatch: number };
  /**
   * Sends batches to `fb` while it is engaged, and engages it when an insert fails for an outage or
   * is unanswered after `deadlineMs` (the events are then kept there; a late commit is deduplicated).
   */
  useFallback(fb: EventFallback, deadlineMs: number): void;
  /** Tells the commit listeners about rows committed elsewhere (the journal's drain). */
  committed(enterprises: Set<string>): void;
  close(): Promise<void>;
}

interface Pending {
  ev: IncomingEvent;
  resolve: (r: StoreResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: events arriving within `windowMs` (or until `maxBatch`) are written by ONE multi-row
 * INSERT in one transaction, so a durable 200 per event costs one fsync per batch, not per event.
 * Only one batch is in flight at a time: ids (arrival order) then commit in order, which the
 * processor relies on to apply one enterprise's events in the order they arrived.
 */
export function createEventStore(sql: Sql, opts: { windowMs: number; maxBatch: number }): EventStore {
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;
  const listeners: ((e: Set<string>) => void)[] = [];
  const stats = { batches: 0, events: 0, duplicates: 0, maxBatch: 0 };
  let fallback: { fb: EventFallback; deadlineMs: number } | null = null;

  function schedule() {
    if (flushing || timer) return;
    if (queue.length >= opts.maxBatch || opts.windowMs === 0) {
      flushing = flush();
      return;
    }
    timer = setTimeout(() => {
      timer = null;
      flushing = flush();
    }, opts.windowMs);
  }

  async function flush(): Promise<void> {
    const batch = queue.splice(0, opts.maxBatch);
    try {
      if (batch.length) await write(batch);
    } finally {
      flushing = null;
      if (queue.length) schedule();
    }
  }

  async function divert(batch: Pending[], fb: EventFallback, cause?: unknown): Promise<void> {
    const results = await fb.keep(
      batch.map((p) => p.ev),
      cause,
    );
    results.forEach((r, i) =>
      r.status === 'fulfilled' ? batch[i]!.resolve({ id: null, journaled: true }) : batch[i]!.reject(r.reason),
    );
  }

  async function write(batch: Pending[]): Promise<void> {
    // Batches are written one at a time, so checking here keeps arrival order across the switch.
    if (fallback?.fb.engaged()) return divert(batch, fallback.fb);
    try {
      const insert = sql<{ id: string; idempotency_key: string; enterprise: string }[]>`
        insert into call_events (enterprise, event_type, unique_id, idempotency_key, body, received_at)
        select * from unnest(
          ${batch.map((p) => p.ev.enterprise)}::text[],
          ${batch.map((p) => p.ev.type)}::text[],
          ${batch.map((p) => p.ev.uniqueId)}::text[],
          ${batch.map((p) => p.ev.idempotencyKey)}::text[],
          ${batch.map((p) => JSON.stringify(p.ev.body))}::text[]::jsonb[],
          ${batch.map((p) => new Date(p.ev.receivedAt).toISOString())}::timestamptz[])
        on conflict (enterprise, idempotency_key) do nothing
        returning id, idempotency_key, enterprise`;
      const rows = await (fallback ? withDeadline(insert, fallback.deadlineMs) : insert);
      const ids = new Map(rows.map((r) => [`${r.enterprise}\n${r.idempotency_key}`, Number(r.id)]));
      stats.batches++;
      stats.events += batch.length;
      stats.maxBatch = Math.max(stats.maxBatch, batch.length);
      for (const p of batch) {
        const k = `${p.ev.enterprise}\n${p.ev.idempotencyKey}`;
        const id = ids.get(k) ?? null;
        ids.delete(k); // a second copy in the same batch is a duplicate of the first
        if (id === null) stats.duplicates++;
        p.resolve({ id });
      }
      if (rows.length) {
        const touched = new Set(rows.map((r) => r.enterprise));
        for (const fn of listeners) fn(touched);
      }
    } catch (err) {
      if (fallback && isOutage(err)) return divert(batch, fallback.fb, err);
      if (batch.length > 1 && !isOutage(err)) {
        // One row the database refuses (a constraint, a value it cannot store) must not fail the
        // other hosts' events of the batch: write them one by one, in order; only that row fails.
        for (const p of batch) await write([p]);
        return;
      }
      for (const p of batch) p.reject(err);
    }
  }

  return {
    stats,
    onCommit: (fn) => void listeners.push(fn),
    useFallback: (fb, deadlineMs) => void (fallback = { fb, deadlineMs }),
    committed: (enterprises) => listeners.forEach((fn) => fn(enterprises)),
    append(ev) {
      return new Promise<StoreResult>((resolve, reject) => {
        queue.push({ ev, resolve, reject });
        schedule();
      });
    },
    async close() {
      if (timer) {
        clearTimeout(timer);
        timer = null;
        flushing = flush();
      }
      while (flushing) await flushing;
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    eventStore: EventStore;
  }
}

export default fp(
  async (app, opts: { sql: Sql; windowMs: number; maxBatch: number }) => {
    const store = createEventStore(opts.sql, opts);
    app.decorate('eventStore', store);
    // Accepted events are committed before the server stops (graceful shutdown drains the batch).
    app.addHook('onClose', async () => store.close());
  },
  { name: 'event-store' },
);
