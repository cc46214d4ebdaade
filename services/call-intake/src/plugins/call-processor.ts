import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '@fleet/db';
import { emptyState, nextDeadline, type CallSummary, type ModelOptions, type ModelState } from '@fleet/call-model';
import { applyStoredEvents, type AppliedEffect, type StoredEvent } from '../processor/apply.ts';
import { effectToDelivery } from '../processor/deliveries.ts';
import { confirmMatchedOriginates, loadOriginateLookup } from '../processor/originates.ts';

/** Events applied per transaction; a backlog is worked off in several. */
const BATCH = 500;
/** Enterprises processed at once: bounded so background work never takes every pooled connection. */
const MAX_PARALLEL_RUNS = 4;

/**
 * Receives a batch's effects inside the processing transaction (e.g. to write a Telegram outbox), so
 * that what it writes commits atomically with the call state. Must only use `tx`.
 */
export type EffectSink = (tx: Sql, enterprise: string, effects: AppliedEffect[]) => Promise<void>;

export interface CallProcessor {
  /** Adds a sink called with every batch's effects, in the processing transaction. */
  addSink(sink: EffectSink): void;
  /** Schedules a run for the enterprise (coalesced: one run at a time per enterprise). */
  kick(enterprise: string): void;
  /** Runs every enterprise with unprocessed events or due timers once (the poll; also for tests). */
  sweep(): Promise<void>;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
  /** Called after a commit that wrote outbox rows or fed the sinks (wakes their workers). */
  onDeliveries(fn: () => void): void;
  stop(): Promise<void>;
}

/**
 * Applies each enterprise's stored events to the call model in arrival order, in one transaction per
 * batch: the state row is locked FOR UPDATE (two call-intake instances never interleave one
 * enterprise), the new state, the calls projection, the outbox rows and the events' processed mark
 * commit together — so a crash anywhere leaves either all of it or none, and the next run redoes it.
 * Runs for different enterprises proceed in parallel.
 */
export function createCallProcessor(sql: Sql, log: FastifyBaseLogger, model: ModelOptions = {}): CallProcessor {
  const runs = new Map<string, { rerun: boolean; done: Promise<void> }>();
  const deliveryListeners: (() => void)[] = [];
  const sinks: EffectSink[] = [];

  async function runOnce(enterprise: string): Promise<boolean> {
    let produced = 0;
    let sinkRows = false;
    const more = await sql.begin(async (tx) => {
      await tx`insert into call_model_state (enterprise, state) values (${enterprise}, ${tx.json(emptyState() as never)})
               on conflict (enterprise) do nothing`;
      const [st] = await tx<{ state: ModelState }[]>`
        select state from call_model_state where enterprise = ${enterprise} for update`;
      const [ent] = await tx<{ host_token: string }[]>`select host_token from enterprises where number = ${enterprise}`;
      const events = await tx<StoredEvent[]>`
        select id::int as id, event_type, body, received_at, origin from call_events
        where enterprise = ${enterprise} and processed_at is null order by id limit ${BATCH}`;
      // Click-to-call: our originate records fill the model's seam (unless the caller gave one).
      const opts: ModelOptions = model.originates ? model : { ...model, originates: await loadOriginateLookup(tx as unknown as Sql, enterprise, events[0]?.received_at) };
      const now = Date.now();
      const before = st!.state;
      const pristine = structuredClone(before);
      let out;
      try {
        out = applyStoredEvents(before, events, now, opts, false);
      } catch (err) {
        log.error({ enterprise, err }, 'call model threw; re-applying event by event');
        out = applyStoredEvents(pristine, events, now, opts, true);
      }
      const deadline = nextDeadline(out.state, model);
      await tx`
        update call_model_state set state = ${tx.json(out.state as never)},
          next_deadline = ${deadline === null ? null : new Date(deadline)},
          last_event_id = greatest(last_event_id, ${events.at(-1)?.id ?? 0}), updated_at = now()
        where enterprise = ${enterprise}`;
      const latest = new Map<string, CallSummary>();
      for (const { effect } of out.effects) latest.set(effect.call.callId, effect.call);
      for (const call of latest.values()) await upsertCall(tx as unknown as Sql, enterprise, call);
      await confirmMatchedOriginates(tx as unknown as Sql, out.effects);
      await markRecovered(tx as unknown as Sql, enterprise, out.effects);
      for (const { effect, raw, origin } of out.effects) {
        const row = effectToDelivery(effect, { enterprise, token: ent?.host_token ?? '', raw, origin });
        if (!row) continue;
        const res = await tx`
          insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload)
          values (${enterprise}, ${row.callId}, ${row.eventType}, ${row.dedupKey}, ${tx.json(row.payload as never)})
          on conflict (enterprise, call_id, dedup_key) do nothing`;
        produced += res.count;
      }
      if (out.effects.length && sinks.length) {
        for (const sink of sinks) await sink(tx as unknown as Sql, enterprise, out.effects);
        sinkRows = true;
      }
      if (events.length) {
        const failed = new Map(out.failed.map((f) => [f.id, f.error]));
        await tx`update call_events set processed_at = now() where id = any(${events.map((e) => e.id)}::bigint[])`;
        for (const [id, error] of failed) await tx`update call_events set process_error = ${error} where id = ${id}`;
      }
      return events.length === BATCH;
    });
    if (produced || sinkRows) for (const fn of deliveryListeners) fn();
    return more;
  }

  // Waiting enterprises in kick order; a run takes a slot, a finished run hands it to the next.
  const waiting: (() => void)[] = [];
  let active = 0;
  const slot = () =>
    active < MAX_PARALLEL_RUNS ? (active++, Promise.resolve()) : new Promise<void>((r) => waiting.push(() => (active++, r())));
  const release = () => {
    active--;
    waiting.shift()?.();
  };

  function kick(enterprise: string): void {
    const current = runs.get(enterprise);
    if (current) {
      current.rerun = true;
      return;
    }
    const entry = { rerun: false, done: Promise.resolve() };
    entry.done = (async () => {
      await slot();
      try {
        do {
          entry.rerun = false;
          while (await runOnce(enterprise));
        } while (entry.rerun);
      } catch (err) {
        // Database trouble: the next sweep retries; nothing is lost, events stay unprocessed.
        log.error({ enterprise, err }, 'call processing failed; will retry');
      } finally {
        release();
        runs.delete(enterprise);
      }
    })();
    runs.set(enterprise, entry);
  }

  async function sweep(): Promise<void> {
    const rows = await sql<{ enterprise: string }[]>`
      select distinct enterprise from call_events where processed_at is null
      union select enterprise from call_model_state where next_deadline <= now()`;
    for (const r of rows) kick(r.enterprise);
    await idle();
  }

  async function idle(): Promise<void> {
    while (runs.size) await Promise.all([...runs.values()].map((r) => r.done));
  }

  return {
    addSink: (sink) => void sinks.push(sink),
    kick,
    sweep,
    idle,
    onDeliveries: (fn) => void deliveryListeners.push(fn),
    stop: idle,
  };
}

/**
 * A call with any event re-ingested from the host's post log (call_events.origin 'recovered', written
 * by services/asterisk's recovery job) is recovered in every effect, including those of the passing of
 * time in a later batch: its deliveries carry origin 'recovered' and its Telegram final says so.
 */
async function markRecovered(tx: Sql, enterprise: string, effects: AppliedEffect[]): Promise<void> {
  const ids = [...new Set(effects.map((e) => e.effect.call.callId))];
  if (!ids.length) return;
  const rows = await tx<{ unique_id: string }[]>`
    select distinct unique_id from call_events
    where enterprise = ${enterprise} and unique_id = any(${ids}::text[]) and origin = 'recovered'`;
  const recovered = new Set(rows.map((r) => r.unique_id));
  for (const e of effects) if (recovered.has(e.effect.call.callId)) e.origin = 'recovered';
}

async function upsertCall(tx: Sql, enterprise: string, c: CallSummary): Promise<void> {
  await tx`
    insert into calls (enterprise, call_id, kind, direction, phone, trunk, ringing, answered_by, status, result,
                       started_at, answered_at, ended_at, duration_sec, summary, updated_at)
    values (${enterprise}, ${c.callId}, ${c.kind}, ${c.direction}, ${c.phone}, ${c.trunk}, ${c.ringing}, ${c.answeredBy},
            ${c.status}, ${c.result}, ${new Date(c.startedAt)}, ${c.answeredAt === null ? null : new Date(c.answeredAt)},
            ${c.endedAt === null ? null : new Date(c.endedAt)}, ${c.durationSec}, ${tx.json(c as never)}, now())
    on conflict (enterprise, call_id) do update set
      kind = excluded.kind, direction = excluded.direction, phone = excluded.phone, trunk = excluded.trunk,
      ringing = excluded.ringing, answered_by = excluded.answered_by, status = excluded.status,
      result = excluded.result, answered_at = excluded.answered_at, ended_at = excluded.ended_at,
      duration_sec = excluded.duration_sec, summary = excluded.summary, updated_at = now()`;
}

declare module 'fastify' {
  interface FastifyInstance {
    processor: CallProcessor;
  }
}

export default fp(
  async (app, opts: { sql: Sql; pollMs: number; workers: boolean; model?: ModelOptions }) => {
    const processor = createCallProcessor(opts.sql, app.log, opts.model);
    app.decorate('processor', processor);
    app.eventStore.onCommit((enterprises) => {
      if (opts.workers) for (const e of enterprises) processor.kick(e);
    });
    let timer: NodeJS.Timeout | undefined;
    if (opts.workers) {
      const tick = () => {
        processor
          .sweep()
          .catch((err) => app.log.warn({ err }, 'processor sweep failed'))
          .finally(() => {
            timer = setTimeout(tick, opts.pollMs);
          });
      };
      app.addHook('onReady', async () => {
        tick();
      });
    }
    app.addHook('onClose', async () => {
      clearTimeout(timer);
      await processor.stop();
    });
  },
  { name: 'call-processor', dependencies: ['event-store'] },
);
