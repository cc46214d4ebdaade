// What the property tests compare: the corpus's expected outcomes, the outcomes of a run, and the
// deliveries consumers act on.
import { expect } from 'vitest';
import type { CallEffect } from '../src/index.ts';
import { loadExpected, normalizeExpected, outcomeOf, run, type Outcome } from './harness.ts';
import type { Timed } from './remap.ts';

export const expected = loadExpected();

export const byId = (a: Outcome, b: Outcome) => a.callId.localeCompare(b.callId);

/** The expected calls of a scenario (expected-outcomes.json), sets sorted, by callId. */
export function want(code: string): Outcome[] {
  return expected[code]!.calls.map(normalizeExpected).sort(byId);
}

/** Runs the events at their arrival times; every call must end exactly once (`why` names the case). */
export function outcomes(list: Timed[], why: string): { calls: Outcome[]; effects: CallEffect[] } {
  const r = run(
    list.map((x) => x.ev),
    list.map((x) => x.at),
  );
  for (const [callId, n] of r.endedCount) expect(n, `${why}: ${callId} ended ${n} times`).toBe(1);
  return { calls: [...r.ended.values()].map(outcomeOf).sort(byId), effects: r.effects };
}

/** What consumers act on: per call, the effect keys in order and the popups' extensions. */
export function deliveries(effects: CallEffect[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of effects)
    (out[e.call.callId] ??= []).push(
      e.type === 'call.ringing' ? `${e.key}:${[...e.newExtensions].sort().join(',')}` : e.key,
    );
  return out;
}
