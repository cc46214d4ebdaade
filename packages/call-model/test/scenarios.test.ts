// Acceptance over the whole corpus: every scenario's calls as a user, Telegram and the CRM would see
// them (expected-outcomes.json, reasoned from the domain), exactly one call.ended per call, popups for
// every ringing extension, nothing for mobile and consultation legs, restart safety at every step,
// and a state that empties once ended calls are no longer retained.
import { describe, expect, it } from 'vitest';
import { loadExpected, loadScenario, normalizeExpected, offsets, outcomeOf, run, scenarioFiles } from './harness.ts';

const expected = loadExpected();
const files = scenarioFiles();

describe('asterisk scenario corpus', () => {
  it('has an expectation for each of the 45 scenarios', () => {
    expect(files.length).toBe(45);
    expect(Object.keys(expected).sort()).toEqual(files.map((f) => f.code).sort());
  });

  describe.each(files.map((f) => [f.code, f.file] as const))('%s', (code) => {
    const events = loadScenario(code);
    const times = offsets(events);
    const exp = expected[code]!;
    const r = run(events, times);

    it('produces the expected calls', () => {
      const got = [...r.ended.values()].map(outcomeOf).sort((a, b) => a.callId.localeCompare(b.callId));
      const want = exp.calls.map(normalizeExpected).sort((a, b) => a.callId.localeCompare(b.callId));
      expect(got).toEqual(want);
      expect(got.filter((c) => c.kind === 'customer').length).toBe(exp.customerCalls);
      expect(got.filter((c) => c.kind === 'internal').length).toBe(exp.internalCalls);
    });

    it('ends every call exactly once and emits effects only for those calls', () => {
      for (const n of r.endedCount.values()) expect(n).toBe(1);
      const callIds = new Set(exp.calls.map((c) => c.callId));
      const legIds = new Set(exp.calls.flatMap((c) => [...c.mobileLegs, ...c.consultationLegs]));
      for (const e of r.effects) {
        expect(callIds.has(e.call.callId)).toBe(true);
        expect(legIds.has(e.call.callId)).toBe(false);
      }
      const keys = r.effects.map((e) => `${e.call.callId}/${e.key}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('opens a popup for every ringing extension, each once', () => {
      for (const c of exp.calls) {
        const popups = r.effects.flatMap((e) => (e.type === 'call.ringing' && e.call.callId === c.callId ? e.newExtensions : []));
        expect([...popups].sort()).toEqual([...c.ringing].sort());
      }
    });

    it('gives identical effects when the state is persisted and reloaded between every step', () => {
      const again = run(events, times, {}, true);
      expect(again.effects).toEqual(r.effects);
    });

    it('forgets ended calls after retainEndedMs', () => {
      expect(r.final.calls).toEqual({});
      expect(r.final.legs).toEqual({});
    });
  });
});
