// Properties over the corpus (seeded, reproducible): what reaches the CRM and Telegram does not depend
// on identifiers and numbers, on replayed duplicates, on events of different UniqueIds arriving up to
// 2 s out of order, nor on other calls running at the same time (other enterprises, or other calls
// of the same enterprise in one state).
import { describe, expect, it } from 'vitest';
import { normalizeHostEvent } from '@fleet/asterisk-events';
import { advanceTime, applyEvent, emptyState, type CallEffect, type ModelState } from '../src/index.ts';
import { FAR, T0, loadExpected, loadScenario, normalizeExpected, offsets, outcomeOf, run, scenarioFiles, type Outcome } from './harness.ts';
import { int, merge, prng, remapOutcome, remapScenario, reordered, timed, withDuplicates, type Timed } from './remap.ts';

const expected = loadExpected();
const codes = scenarioFiles().map((f) => f.code).filter((c) => c !== '1-11');
const byId = (a: Outcome, b: Outcome) => a.callId.localeCompare(b.callId);

function outcomes(list: Timed[]): { calls: Outcome[]; effects: CallEffect[] } {
  const r = run(list.map((x) => x.ev), list.map((x) => x.at));
  for (const n of r.endedCount.values()) expect(n).toBe(1);
  return { calls: [...r.ended.values()].map(outcomeOf).sort(byId), effects: r.effects };
}

function want(code: string): Outcome[] {
  return expected[code]!.calls.map(normalizeExpected).sort(byId);
}

/** What consumers act on: per call, the effect keys in order and the popups' extensions. */
function deliveries(effects: CallEffect[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of effects) (out[e.call.callId] ??= []).push(e.type === 'call.ringing' ? `${e.key}:${[...e.newExtensions].sort().join(',')}` : e.key);
  return out;
}

describe('fresh UniqueIds, BridgeUniqueids and numbers', () => {
  it.each(codes)('%s keeps its outcome', (code) => {
    for (let seed = 1; seed <= 3; seed++) {
      const rnd = prng(seed * 7919 + code.length);
      const { events, map } = remapScenario(loadScenario(code), rnd, seed === 3 ? 250 : null);
      const got = outcomes(timed(events, offsets(events))).calls;
      expect(got).toEqual(want(code).map((o) => remapOutcome(o, map)).sort(byId));
    }
  });
});

describe('exact duplicates inserted anywhere after the original', () => {
  it.each(codes)('%s keeps its outcome and its deliveries', (code) => {
    const events = loadScenario(code);
    const base = timed(events, offsets(events));
    const plain = outcomes(base);
    for (let seed = 1; seed <= 5; seed++) {
      const rnd = prng(seed * 104729 + code.charCodeAt(2));
      const dup = outcomes(withDuplicates(base, rnd, 1 + int(rnd, 4)));
      expect(dup.calls).toEqual(want(code));
      expect(deliveries(dup.effects)).toEqual(deliveries(plain.effects));
    }
  });
});

describe('events of different UniqueIds swapped within 2 s', () => {
  it.each(codes)('%s keeps its outcome', (code) => {
    const events = loadScenario(code);
    const base = timed(events, offsets(events));
    for (let seed = 1; seed <= 8; seed++) {
      const rnd = prng(seed * 15485863 + code.charCodeAt(0) * 31 + code.charCodeAt(2));
      const list = reordered(base, rnd, events.length * 2, 2000);
      expect(outcomes(list).calls, `seed ${seed}: ${list.map((x) => `${x.ev.event}:${String(x.ev.body.UniqueId ?? '').split('.')[1] ?? ''}`).join(' ')}`).toEqual(want(code));
    }
  });
});

describe('interleaved scenarios', () => {
  it('different enterprises (separate states on one clock) give the same outcomes as each alone', () => {
    const rnd = prng(42);
    for (let k = 0; k < 20; k++) {
      const a = codes[int(rnd, codes.length)]!;
      const b = codes[int(rnd, codes.length)]!;
      const ea = loadScenario(a);
      const eb = loadScenario(b);
      const list = merge(timed(ea, offsets(ea), 0), timed(eb, offsets(eb), 1, int(rnd, 20) * 250));
      const states: ModelState[] = [emptyState(), emptyState()];
      const ended: Outcome[][] = [[], []];
      const collect = (i: number, effects: CallEffect[]) => {
        for (const e of effects) if (e.type === 'call.ended') ended[i]!.push(outcomeOf(e.call));
      };
      list.forEach((x, i) => {
        const r = applyEvent(states[x.src]!, normalizeHostEvent(x.ev.event, x.ev.body, { seq: i + 1, receivedAt: T0 + x.at }));
        states[x.src] = r.state;
        collect(x.src, r.effects);
      });
      for (const i of [0, 1]) collect(i, advanceTime(states[i]!, T0 + FAR).effects);
      expect(ended[0]!.sort(byId), `${a} with ${b}`).toEqual(want(a));
      expect(ended[1]!.sort(byId), `${b} with ${a}`).toEqual(want(b));
    }
  });

  it('two unrelated calls of one enterprise in one state give the same outcomes as each alone', () => {
    const rnd = prng(2025);
    for (let k = 0; k < 60; k++) {
      const a = codes[int(rnd, codes.length)]!;
      const b = codes[int(rnd, codes.length)]!;
      // Different managers (extensions 250…/350…) and clients: calls that share nobody.
      const ra = remapScenario(loadScenario(a), rnd, 250);
      const rb = remapScenario(loadScenario(b), rnd, 350);
      const list = merge(timed(ra.events, offsets(ra.events), 0), timed(rb.events, offsets(rb.events), 1, int(rnd, 40) * 250));
      const got = outcomes(list).calls;
      const exp = [...want(a).map((o) => remapOutcome(o, ra.map)), ...want(b).map((o) => remapOutcome(o, rb.map))].sort(byId);
      expect(got, `${a} with ${b}`).toEqual(exp);
    }
  });
});
