import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '@fleet/db';
import { digits, nextDeadline, type CallSummary, type ModelOptions, type ModelState } from '@fleet/call-model';
import { applyStoredEvents, type AppliedEffect, type StoredEvent } from '../processor/apply.ts';
import { createModelStore, type SnapshotPolicy } from '../processor/model-store.ts';
import { effectToDelivery, type OutboxRow } from '../processor/deliveries.ts';
import type { OutboxLease } from './dispatcher.ts';
import { confirmMatchedOriginates, loadOriginateLookup, loadOriginateLookupForBatch } from '../processor/originates.ts';

/** Events applied per transaction; a backlog is worked off in several. */
const BATCH = 500;
/** Enterprises processed at once: bounded so background work never takes every pooled connection. */
const MAX_PARALLEL_RUNS = 4;
/** How long the enterprise's mapped manager mobiles are reused before being read again (ms). */
const MOBILES_TTL_MS = 30_000;

/**
 * Receives a batch's effects inside the processing transaction (e.g. to write a Telegram outbox), so
 * that what it writes commits atomically with the call state. Must only use `tx`. Resolves false when
 * it wrote nothing (its workers then need no wake-up after the commit).
 */
export type EffectSink = (tx: Sql, enterprise: string, effects: AppliedEffect[]) => Promise<boolean>;

export interface CallProcessor {
  /** Adds a sink called with every batch's effects, in the processing transaction. */
  addSink(sink: EffectSink): void;
  /** Schedules a run for the enterprise (coalesced: one run at a time per enterprise). */
  kick(enterprise: string): void;
  /** Runs every enterprise with unprocessed events or due timers once (the poll; also for tests). */
  sweep(): Promise<void>;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
  /**
   * Called after a commit that wrote outbox rows or fed the sinks (wakes their workers), with the rows
   * written already leased to this instance and whether others wait behind an earlier row of their call.
   */
  onDeliveries(fn: (leased: OutboxLease[], waiting: boolean) => void): void;
  stop(): Promise<void>;
}

/**
 * Applies each enterprise's stored events to the call model in arrival order, in one transaction per
 * batch: the state row is locked FOR UPDATE (two call-intake instances never interleave one
 * enterprise), the batch's version (the state itself lives in memory, snapshotted now and then:
 * processor/model-store.ts), the calls projection, the outbox rows (born leased: the dispatcher sends
 * them after this commit, with no commit of its own first) and the events' processed mark commit
 * together — so a crash anywhere leaves either all of it or none, and the next run redoes it.
 * Runs for different enterprises proceed in parallel.
 */
export function createCallProcessor(
  sql: Sql,
  log: FastifyBaseLogger,
  model: ModelOptions = {},
  leaseSec = 45,
  snapshot: SnapshotPolicy = {},
): CallProcessor {
  const runs = new Map<string, { rerun: boolean; done: Promise<void> }>();
  const deliveryListeners: ((leased: OutboxLease[], waiting: boolean) => void)[] = [];
  const sinks: EffectSink[] = [];
  const mobiles = new Map<string, { at: number; digits: Set<string> }>();
  const store = createModelStore(snapshot);

  /**
   * The enterprise's manager mobiles (`fleet extension add --mobile`, international digits): a dial to
   * one during a customer call is that call's FollowMe leg at once (call model `managerMobile`). Read at
   * most every MOBILES_TTL_MS per enterprise, not per batch; a new mapping takes effect within that.
   */
  async function managerMobiles(tx: Sql, enterprise: string): Promise<Set<string>> {
    const cached = mobiles.get(enterprise);
    if (cached && Date.now() - cached.at < MOBILES_TTL_MS) return cached.digits;
    const rows = await tx<{ mobile: string }[]>`
      select mobile from extension_directory where enterprise = ${enterprise} and mobile is not null`;
    const entry = { at: Date.now(), digits: new Set(rows.map((r) => digits(r.mobile))) };
    mobiles.set(enterprise, entry);
    return entry.digits;
  }

  /**
   * Model options for events of the enterprise: our originate records (from `originates`), the mapped
   * mobiles.
   */
  async function optsWith(
    tx: Sql,
    enterprise: string,
    originates: () => Promise<NonNullable<ModelOptions['originates']>>,
  ): Promise<ModelOptions> {
    // Click-to-call: our originate records fill the model's seam (unless the caller gave one).
    const [lookup, mapped] = await Promise.all([
      model.originates ? undefined : originates(),
      model.managerMobile ? undefined : managerMobiles(tx, enterprise),
    ]);
    const opts: ModelOptions = lookup ? { ...model, originates: lookup } : { ...model };
    if (mapped?.size) opts.managerMobile = (phone) => mapped.has(digits(phone));
    return opts;
  }

  /** Options for replaying stored events (a rebuild): originates around the first of them. */
  const optsFor = (tx: Sql, enterprise: string, events: StoredEvent[]) =>
    optsWith(tx, enterprise, () => loadOriginateLookup(tx, enterprise, events[0]?.received_at));

  async function runOnce(enterprise: string): Promise<boolean> {
    let leased: OutboxLease[] = [];
    let waiting = false;
    let sinkRows = false;
    let saved: { version: number; state: ModelState } | undefined;
    let more: boolean;
    try {
      more = await sql.begin(async (t) => {
        const tx = t as unknown as Sql;
        // Committed synchronously, though nothing here is waited for by a host and a lost commit would
        // only be redone: measured (pnpm bench 2, 5,000 events/s), synchronous_commit off let the
        // processor run smaller batches back to back and took the event loop from the intake (answered
        // 4,970 → 3,000–3,600 events/s, call-intake peak RSS 140 → 210 MB). The flush wait batches.
        const loaded = await store.load(tx, enterprise, (x, evs) => optsFor(x, enterprise, evs));
        // The batch and its model options in one round trip (sent together on this connection).
        const [events, baseOpts] = await Promise.all([
          tx<StoredEvent[]>`
            select id::int as id, event_type, body, received_at, origin from call_events
            where enterprise = ${enterprise} and processed_at is null order by id limit ${BATCH}`,
          optsWith(tx, enterprise, () => loadOriginateLookupForBatch(tx, enterprise)),
        ]);
        const opts = { ...baseOpts, inPlace: true };
        const now = Date.now();
        let out;
        try {
          out = applyStoredEvents(loaded.state, events, now, opts, false);
        } catch (err) {
          log.error({ enterprise, err }, 'call model threw; re-applying event by event');
          // The fast run applied part of the batch in place: start again from the last committed state.
          const state = await store.rebuild(tx, enterprise, (x, evs) => optsFor(x, enterprise, evs));
          out = applyStoredEvents(state, events, now, opts, true);
        }
        const latest = new Map<string, CallSummary>();
        for (const { effect } of out.effects) latest.set(effect.call.callId, effect.call);
        // Independent statements sent together: the batch's marks, the calls, the originates, and which
        // calls were recovered (the deliveries and the sinks below need that).
        const [version] = await Promise.all([
          store.save(tx, loaded, out.state, {
            ids: events.map((e) => e.id),
            lastId: events.at(-1)?.id ?? 0,
            deadline: nextDeadline(out.state, model),
          }),
          latest.size ? upsertCalls(tx, enterprise, [...latest.values()]) : undefined,
          confirmMatchedOriginates(tx, out.effects),
          markRecovered(tx, enterprise, out.effects),
        ]);
        saved = { version, state: out.state };
        const rows = out.effects.flatMap(
          ({ effect, origin }) => effectToDelivery(effect, { enterprise, origin }) ?? [],
        );
        const feedSinks = out.effects.length > 0 && sinks.length > 0;
        const [written, sunk] = await Promise.all([
          rows.length ? insertOutbox(tx, rows, leaseSec) : undefined,
          feedSinks ? Promise.all(sinks.map((sink) => sink(tx, enterprise, out.effects))) : [],
          ...out.failed.map((f) => tx`update call_events set process_error = ${f.error} where id = ${f.id}`),
        ]);
        if (written) ({ leased, waiting } = written);
        sinkRows = (sunk as boolean[]).some(Boolean);
        return events.length === BATCH;
      });
    } catch (err) {
      store.forget(enterprise); // applied in place, then rolled back
      throw err;
    }
    store.committed(enterprise, saved!.version, saved!.state);
    if (leased.length || waiting || sinkRows) for (const fn of deliveryListeners) fn(leased, waiting);
    return more;
  }

  // Waiting enterprises in kick order; a run takes a slot, a finished run hands it to the next.
  const waiting: (() => void)[] = [];
  let active = 0;
  const slot = () =>
    active < MAX_PARALLEL_RUNS
      ? (active++, Promise.resolve())
      : new Promise<void>((r) => waiting.push(() => (active++, r())));
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

/**
 * Writes the batch's side effects to intake_outbox in one statement. A call with no earlier pending row
 * gets its rows born leased to this instance (next_attempt_at = now + lease), so the dispatcher sends
 * them right after this commit without a claim commit of its own; rows behind an earlier pending row of
 * their call are written due and wait for it (the dispatcher's claim keeps per-call order). A replayed
 * effect hits the unique key and is not returned: whoever wrote it first sends it.
 */
async function insertOutbox(
  tx: Sql,
  rows: OutboxRow[],
  leaseSec: number,
): Promise<{ leased: OutboxLease[]; waiting: boolean }> {
  const enterprise = rows[0]!.enterprise;
  // One statement: a row whose call already has a pending row (an earlier one, not yet answered) is
  // written due and waits behind it; the others are born leased.
  const inserted = await tx<{ id: string; call_id: string; dedup_key: string; leased: boolean }[]>`
    with r as (
      select * from jsonb_to_recordset(${tx.json(rows.map((r) => ({ call_id: r.callId, event_type: r.eventType, dedup_key: r.dedupKey, payload: r.payload })) as never)})
        as r(call_id text, event_type text, dedup_key text, payload jsonb)
    ), busy as (
      select distinct o.call_id from intake_outbox o
      where o.enterprise = ${enterprise} and o.call_id in (select call_id from r) and o.status = 'pending'
    )
    insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload, next_attempt_at)
    select ${enterprise}, r.call_id, r.event_type, r.dedup_key, r.payload,
           case when r.call_id in (select call_id from busy) then now() else now() + make_interval(secs => ${leaseSec}) end
    from r
    on conflict (enterprise, call_id, dedup_key) do nothing
    returning id::text, call_id, dedup_key, next_attempt_at > now() as leased`;
  const byKey = new Map(rows.map((r) => [`${r.callId}\n${r.dedupKey}`, r]));
  const leased: OutboxLease[] = [];
  let waiting = false;
  for (const row of inserted) {
    if (!row.leased) {
      waiting = true;
      continue;
    }
    const r = byKey.get(`${row.call_id}\n${row.dedup_key}`)!;
    leased.push({
      id: row.id,
      enterprise,
      call_id: row.call_id,
      dedup_key: row.dedup_key,
      payload: r.payload,
      attempts: 0,
    });
  }
  return { leased, waiting };
}

/** The batch's calls, each as its latest effect left it, into the calls projection: one statement. */
async function upsertCalls(tx: Sql, enterprise: string, calls: CallSummary[]): Promise<void> {
  await tx`
    insert into calls (enterprise, call_id, kind, direction, phone, trunk, ringing, answered_by, status, result,
                       started_at, answered_at, ended_at, duration_sec, summary, updated_at)
    select ${enterprise}, c->>'callId', c->>'kind', c->>'direction', c->>'phone', c->>'trunk',
           array(select jsonb_array_elements_text(c->'ringing')), c->>'answeredBy', c->>'status', c->>'result',
           to_timestamp((c->>'startedAt')::float8 / 1000), to_timestamp((c->>'answeredAt')::float8 / 1000),
           to_timestamp((c->>'endedAt')::float8 / 1000), (c->>'durationSec')::int, c, now()
    from jsonb_array_elements(${tx.json(calls as never)}) as c
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
  async (
    app,
    opts: {
      sql: Sql;
      pollMs: number;
      workers: boolean;
      model?: ModelOptions;
      leaseSec?: number;
      snapshot?: SnapshotPolicy;
    },
  ) => {
    const processor = createCallProcessor(opts.sql, app.log, opts.model, opts.leaseSec, opts.snapshot);
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
