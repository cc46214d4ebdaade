import fp from 'fastify-plugin';
import type { Sql } from '@fleet/db';
import type { HostEventType } from '@fleet/asterisk-events';

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
  /** call_events.id, or null when this exact event was already stored (a retransmission). */
  id: number | null;
}

export interface EventStore {
  /** Resolves once the event is committed (durable) in call_events. @throws on database failure. */
  append(ev: IncomingEvent): Promise<StoreResult>;
  /** Listener called with the enterprises of each committed batch (to wake the processor). */
  onCommit(fn: (enterprises: Set<string>) => void): void;
  stats: { batches: number; events: number; duplicates: number; maxBatch: number };
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

  async function write(batch: Pending[]): Promise<void> {
    try {
      const rows = await sql<{ id: string; idempotency_key: string; enterprise: string }[]>`
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
      for (const p of batch) p.reject(err);
    }
  }

  return {
    stats,
    onCommit: (fn) => void listeners.push(fn),
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
