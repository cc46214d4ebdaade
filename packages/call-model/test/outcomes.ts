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

/**
 * deliveries() as reordered arrival may change them without changing what a consumer sees: `answered`
 * (Telegram's "talking" stage, which only moves forward) may trade places with a ringing of another
 * extension when the bridge that shows the answer and a dial of another UniqueId arrive swapped within
 * 2 s (2-29, seed 720128520: the blind transfer's dial to 150 arrived before 151's bridge). Everything
 * else keeps its order: started first, the ringing sequence, the end last; answered before the end.
 */
export function deliveriesUpToAnswer(effects: CallEffect[]): Record<string, { sequence: string[]; answered: number }> {
  const out: Record<string, { sequence: string[]; answered: number }> = {};
  for (const [callId, keys] of Object.entries(deliveries(effects))) {
    const ended = keys.indexOf('ended');
    const lateAnswer = keys.some((k, i) => k === 'answered' && ended >= 0 && i > ended);
    out[callId] = {
      sequence: keys.filter((k) => k !== 'answered'),
      answered: keys.filter((k) => k === 'answered').length + (lateAnswer ? 1000 : 0),
    };
  }
  return out;
}
