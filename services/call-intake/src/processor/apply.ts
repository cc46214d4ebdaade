import { normalizeHostEvent, type HostEventType } from '@fleet/asterisk-events';
import {
  advanceTime,
  applyEvent,
  applyEvents,
  type CallEffect,
  type ModelOptions,
  type ModelState,
} from '@fleet/call-model';

export interface StoredEvent {
  id: number;
  event_type: HostEventType;
  body: Record<string, unknown>;
  received_at: Date;
  /** 'recovered' when read back from the host's post log (services/asterisk recovery); default 'live'. */
  origin?: 'live' | 'recovered';
}

export interface AppliedEffect {
  effect: CallEffect;
  /** The event that caused it (null for effects of the passing of time). */
  raw: Record<string, unknown> | null;
  /** The causing event's origin (absent = 'live'): a recovered call says so at the CRM and in Telegram. */
  origin?: 'live' | 'recovered';
}

export interface ApplyOutcome {
  state: ModelState;
  effects: AppliedEffect[];
  /** Events the model threw on, with the error; they are marked processed with the error. */
  failed: { id: number; error: string }[];
}

/**
 * Applies stored events in the given order, then the passing of time up to `now` (ms; none when
 * undefined: a replay rebuilding a state stops at its last event). A model exception on one event skips
 * that event (state as before it) instead of blocking the enterprise forever; `safe` snapshots the state
 * before each event so that skipping is exact (the caller retries in safe mode only after a fast run
 * threw). With `opts.inPlace` the fast path mutates `state`: a caller whose fast run threw must rebuild
 * the state before the safe run.
 */
export function applyStoredEvents(
  state: ModelState,
  events: StoredEvent[],
  now: number | undefined,
  opts: ModelOptions,
  safe: boolean,
): ApplyOutcome {
  const effects: AppliedEffect[] = [];
  const failed: { id: number; error: string }[] = [];
  const normalized = events.map((row) =>
    normalizeHostEvent(row.event_type, row.body, { seq: row.id, receivedAt: row.received_at.getTime() }),
  );
  if (!safe) {
    // Fast path: at most one copy of the state for the whole batch (none with inPlace).
    const r = applyEvents(state, normalized, opts, now, (i, produced) => {
      for (const effect of produced)
        effects.push({ effect, raw: i >= 0 ? events[i]!.body : null, origin: i >= 0 ? events[i]!.origin : undefined });
    });
    return { state: r.state, effects, failed };
  }
  for (const [i, row] of events.entries()) {
    const ev = normalized[i]!;
    const snapshot = JSON.stringify(state);
    try {
      const r = applyEvent(state, ev, opts);
      state = r.state;
      for (const effect of r.effects) effects.push({ effect, raw: row.body, origin: row.origin });
    } catch (err) {
      if (!safe) throw err;
      state = JSON.parse(snapshot) as ModelState;
      failed.push({ id: row.id, error: (err as Error).message.slice(0, 500) });
    }
  }
  if (now === undefined) return { state, effects, failed };
  const t = advanceTime(state, now, opts);
  for (const effect of t.effects) effects.push({ effect, raw: null });
  return { state: t.state, effects, failed };
}
