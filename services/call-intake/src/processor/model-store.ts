// Where each enterprise's call model state lives between batches (sql/120, issue 12): in this
// instance's memory, and in the database as a snapshot (call_model_state.state) plus the events applied
// since (call_events.processed_batch). A batch writes only its version and its events' batch number, so
// its cost no longer grows with the enterprise's live calls; the whole state is written every
// SNAPSHOT_EVENTS events or SNAPSHOT_MS. Another instance, a restart or a model failure rebuilds the
// state from the snapshot by replaying those events in the order they were applied (the model is
// deterministic: timers due before an event fire at its arrival, so replay reproduces the state).
import type { Sql } from '@fleet/db';
import { emptyState, type ModelOptions, type ModelState } from '@fleet/call-model';
import { applyStoredEvents, type StoredEvent } from './apply.ts';

/** A snapshot at the latest after this many events applied since the previous one… */
export const SNAPSHOT_EVENTS = 2000;
/** …or this long (ms): a replay after a restart stays short, and retention never outruns it. */
export const SNAPSHOT_MS = 30_000;

/** An enterprise's state, locked for one batch. */
export interface LoadedState {
  enterprise: string;
  /** Batches applied before this one. */
  version: number;
  replayEvents: number;
  snapshotAgeMs: number;
  state: ModelState;
  /** True when the state came from the database (snapshot + replay), not from memory. */
  rebuilt: boolean;
}

export interface ModelStore {
  /**
   * Locks the enterprise's row (FOR UPDATE, inside `tx`: two instances never interleave one enterprise)
   * and returns its state: from memory when no other instance applied a batch since ours, otherwise
   * rebuilt. `optsFor(events)` gives the model options for replaying those events (originates, mobiles).
   * The state is the instance's own: the caller applies the batch to it in place.
   */
  load(tx: Sql, enterprise: string, optsFor: OptsFor): Promise<LoadedState>;
  /** The snapshot plus the events applied since, replayed: the state as of the last committed batch. */
  rebuild(tx: Sql, enterprise: string, optsFor: OptsFor): Promise<ModelState>;
  /**
   * Records the batch in `tx`: the version, the events' batch number, the next deadline (ms or null), and
   * the whole state when a snapshot is due. Returns the new version.
   */
  save(
    tx: Sql,
    loaded: LoadedState,
    state: ModelState,
    applied: { ids: number[]; lastId: number; deadline: number | null },
  ): Promise<number>;
  /** After the commit: the state in memory is the one of `version`. */
  committed(enterprise: string, version: number, state: ModelState): void;
  /** After a rollback or a failure: the state in memory may be half-applied, so it is dropped. */
  forget(enterprise: string): void;
}

export type OptsFor = (tx: Sql, events: StoredEvent[]) => Promise<ModelOptions>;

interface Row {
  version: number;
  replay_events: number;
  snapshot_age_ms: number;
}

/** When the whole state is written again: after `events` events or `ms` (defaults above; tests lower them). */
export interface SnapshotPolicy {
  events?: number;
  ms?: number;
}

export function createModelStore(policy: SnapshotPolicy = {}): ModelStore {
  const everyEvents = policy.events ?? SNAPSHOT_EVENTS;
  const everyMs = policy.ms ?? SNAPSHOT_MS;
  const memory = new Map<string, { version: number; state: ModelState }>();

  async function lockRow(tx: Sql, enterprise: string): Promise<Row> {
    const select = () => tx<Row[]>`
      select version::float8 as version, replay_events,
             (extract(epoch from now() - snapshot_at) * 1000)::float8 as snapshot_age_ms
      from call_model_state where enterprise = ${enterprise} for update`;
    let [row] = await select();
    if (!row) {
      await tx`insert into call_model_state (enterprise, state) values (${enterprise}, ${tx.json(emptyState() as never)})
               on conflict (enterprise) do nothing`;
      [row] = await select();
    }
    return row!;
  }

  async function rebuild(tx: Sql, enterprise: string, optsFor: OptsFor): Promise<ModelState> {
    const snapshot = async () =>
      (
        await tx<{ state: ModelState; snapshot_version: number }[]>`
          select state, snapshot_version::float8 as snapshot_version from call_model_state where enterprise = ${enterprise}`
      )[0]!;
    const snap = await snapshot();
    // Events a batch skipped after the model threw on them (process_error) changed nothing then either.
    const events = await tx<StoredEvent[]>`
      select id::int as id, event_type, body, received_at, origin from call_events
      where enterprise = ${enterprise} and processed_batch > ${snap.snapshot_version} and process_error is null
      order by processed_batch, id`;
    if (!events.length) return snap.state;
    const opts = await optsFor(tx, events);
    try {
      return applyStoredEvents(snap.state, events, undefined, { ...opts, inPlace: true }, false).state;
    } catch {
      // The batch that applied them skipped what threw: so does the replay, event by event.
      return applyStoredEvents((await snapshot()).state, events, undefined, opts, true).state;
    }
  }

  return {
    async load(tx, enterprise, optsFor) {
      const row = await lockRow(tx, enterprise);
      const base = {
        enterprise,
        version: row.version,
        replayEvents: row.replay_events,
        snapshotAgeMs: row.snapshot_age_ms,
      };
      const mine = memory.get(enterprise);
      if (mine && mine.version === row.version) return { ...base, state: mine.state, rebuilt: false };
      memory.delete(enterprise);
      return { ...base, state: await rebuild(tx, enterprise, optsFor), rebuilt: true };
    },
    rebuild,
    async save(tx, loaded, state, applied) {
      const version = loaded.version + 1;
      const replayEvents = loaded.replayEvents + applied.ids.length;
      const deadline = applied.deadline === null ? null : new Date(applied.deadline);
      const snapshot = replayEvents >= everyEvents || loaded.snapshotAgeMs >= everyMs;
      // The row and the events' marks in one statement (a data-modifying CTE runs whether or not it is
      // read): one round trip less on every batch.
      await tx`
        with events as (
          update call_events set processed_at = now(), processed_batch = ${version}
          where id = any(${applied.ids}::bigint[])
        )
        update call_model_state set version = ${version}, next_deadline = ${deadline},
          last_event_id = greatest(last_event_id, ${applied.lastId}), updated_at = now(),
          ${
            snapshot
              ? tx`state = ${tx.json(state as never)}, snapshot_version = ${version}, snapshot_at = now(), replay_events = 0`
              : tx`replay_events = ${replayEvents}`
          }
        where enterprise = ${loaded.enterprise}`;
      return version;
    },
    committed: (enterprise, version, state) => void memory.set(enterprise, { version, state }),
    forget: (enterprise) => void memory.delete(enterprise),
  };
}
