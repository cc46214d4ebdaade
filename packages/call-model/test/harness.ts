// Test harness: fixtures from shared/fixtures/asterisk-scenarios fed through the public API.
import { readFileSync, readdirSync } from 'node:fs';
import { normalizeHostEvent, type HostEventType } from '@fleet/asterisk-events';
import {
  advanceTime,
  applyEvent,
  applyEvents,
  emptyState,
  type CallEffect,
  type CallSummary,
  type ModelOptions,
  type ModelState,
} from '../src/index.ts';

export const FIXTURES = new URL('../../../../shared/fixtures/asterisk-scenarios/', import.meta.url);

export interface FixtureEvent {
  event: HostEventType;
  body: Record<string, unknown>;
  t?: number;
}

export function scenarioFiles(): { code: string; file: string }[] {
  return readdirSync(FIXTURES)
    .filter((f) => /^\d-\d+_.*\.json$/.test(f))
    .map((file) => ({ code: file.split('_')[0]!, file }))
    .sort((a, b) => a.code.localeCompare(b.code, 'en', { numeric: true }));
}

export function loadScenario(code: string): FixtureEvent[] {
  const f = scenarioFiles().find((s) => s.code === code);
  if (!f) throw new Error(`no scenario ${code}`);
  return JSON.parse(readFileSync(new URL(f.file, FIXTURES), 'utf8')) as FixtureEvent[];
}

/** Arrival offsets (ms): the fixture's `t` seconds when present, else 500 ms apart. */
export function offsets(events: FixtureEvent[]): number[] {
  return events.map((e, i) => (typeof e.t === 'number' ? e.t * 1000 : i * 500));
}

export const T0 = Date.UTC(2025, 8, 13, 12, 0, 0);
export const FAR = 2 * 24 * 3_600_000;

export interface RunResult {
  effects: CallEffect[];
  /** Final summary per callId (from its call.ended). */
  ended: Map<string, CallSummary>;
  endedCount: Map<string, number>;
  final: ModelState;
  /** State right after the last event (before time passes). */
  afterEvents: ModelState;
  /** How many of `effects` were emitted while applying events (the rest by time passing). */
  eventEffects: number;
}

/**
 * Feeds events in order with the given arrival times, then lets time pass far into the future.
 * With `restart`, events are applied one by one and the state goes through JSON between every step,
 * as call-intake stores it; without, in one batch (fast enough for thousands of property runs).
 */
export function run(events: FixtureEvent[], times: number[], opts: ModelOptions = {}, restart = false): RunResult {
  let state = emptyState();
  const effects: CallEffect[] = [];
  const persist = (s: ModelState): ModelState => (restart ? (JSON.parse(JSON.stringify(s)) as ModelState) : s);
  const normalized = events.map((e, i) =>
    normalizeHostEvent(e.event, e.body, { seq: i + 1, receivedAt: T0 + times[i]! }),
  );
  if (restart) {
    for (const ev of normalized) {
      const r = applyEvent(state, ev, opts);
      effects.push(...r.effects);
      state = persist(r.state);
    }
  } else {
    // One batch, as call-intake applies them (batch.test.ts: the same effects as event by event).
    const r = applyEvents(state, normalized, opts);
    effects.push(...r.effects);
    state = r.state;
  }
  const afterEvents = state;
  const eventEffects = effects.length;
  const last = T0 + (times.length ? Math.max(...times) : 0);
  // Step through a few intermediate times too, so the settle and close deadlines fire as they would live.
  for (const dt of [1_000, 3_000, 10_000, 60_000]) {
    const r = advanceTime(state, last + dt, opts);
    effects.push(...r.effects);
    state = persist(r.state);
  }
  const r = advanceTime(state, last + FAR, opts);
  effects.push(...r.effects);
  state = persist(r.state);
  const ended = new Map<string, CallSummary>();
  const endedCount = new Map<string, number>();
  for (const e of effects) {
    if (e.type !== 'call.ended') continue;
    ended.set(e.call.callId, e.call);
    endedCount.set(e.call.callId, (endedCount.get(e.call.callId) ?? 0) + 1);
  }
  return { effects, ended, endedCount, final: state, afterEvents, eventEffects };
}

/** The outcome fields the expectations name, with sets sorted. */
export function outcomeOf(s: CallSummary) {
  return {
    callId: s.callId,
    direction: s.direction,
    kind: s.kind,
    phone: s.phone,
    trunk: s.trunk,
    answered: s.answered,
    answeredBy: s.answeredBy,
    result: s.result,
    ringing: [...s.ringing].sort(),
    mobiles: [...s.mobiles].sort(),
    mobileLegs: [...s.mobileLegs].sort(),
    consultationLegs: [...s.consultationLegs].sort(),
    closedByTimeout: s.closedByTimeout,
  };
}

export type Outcome = ReturnType<typeof outcomeOf>;

export interface ExpectedScenario {
  calls: Outcome[];
  customerCalls: number;
  internalCalls: number;
  note?: string;
}

export function loadExpected(): Record<string, ExpectedScenario> {
  return JSON.parse(readFileSync(new URL('./expected-outcomes.json', import.meta.url), 'utf8')) as Record<
    string,
    ExpectedScenario
  >;
}

export function normalizeExpected(c: Outcome): Outcome {
  return {
    ...c,
    ringing: [...c.ringing].sort(),
    mobiles: [...c.mobiles].sort(),
    mobileLegs: [...c.mobileLegs].sort(),
    consultationLegs: [...c.consultationLegs].sort(),
  };
}
