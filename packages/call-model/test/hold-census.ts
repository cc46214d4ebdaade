// The census of issue 13's hold: over the corpus, how many outgoing dials (a manager's own calls and
// FollowMe legs) the call model held back before deciding. Used by hold.test.ts (the numbers the README
// quotes) and by `pnpm bench` (BENCHMARKS.md). No test framework here, so the bench can import it.
import { normalizeHostEvent } from '@fleet/asterisk-events';
import { applyEvent, emptyState, type ModelOptions, type ModelState } from '../src/index.ts';
import { T0, loadExpected, loadScenario, offsets, scenarioFiles, type FixtureEvent } from './harness.ts';
import { delayed, timed } from './remap.ts';
import { rngFor } from './seeds.ts';

const expected = loadExpected();

export const codes = scenarioFiles()
  .map((f) => f.code)
  .filter((c) => c !== '1-11');

/** Applies events one by one at their times; returns per event the effects and the legs then held. */
export function stepwise(events: FixtureEvent[], times: number[], opts: ModelOptions = {}) {
  let state: ModelState = emptyState();
  return events.map((e, i) => {
    const r = applyEvent(state, normalizeHostEvent(e.event, e.body, { seq: i + 1, receivedAt: T0 + times[i]! }), opts);
    state = r.state;
    return {
      effects: r.effects,
      held: Object.values(state.legs)
        .filter((l) => l.held)
        .map((l) => l.u),
    };
  });
}

/** Outgoing dials to an external number (CallType 1): the decisions the hold is about. */
function outgoingDials(events: FixtureEvent[]): Set<string> {
  return new Set(
    events
      .filter(
        (e) =>
          e.event === 'dial' &&
          Number(e.body.CallType) === 1 &&
          String(e.body.Phone ?? '').replace(/\D/g, '').length >= 6,
      )
      .map((e) => String(e.body.UniqueId)),
  );
}

/**
 * Over the corpus: outgoing dial UniqueIds (own calls and FollowMe legs), and those ever held, at
 * recorded timing (`seed` null) or with every event delayed 0-2 s (the hosts' reordering).
 */
export function holdCensus(seed: number | null) {
  let own = 0;
  let legs = 0;
  const held: { code: string; uid: string; leg: boolean }[] = [];
  for (const code of codes) {
    const events = loadScenario(code);
    let list = timed(events, offsets(events));
    if (seed !== null) list = delayed(list, rngFor(seed, `hold ${code}`), 2000);
    const steps = stepwise(
      list.map((x) => x.ev),
      list.map((x) => x.at),
    );
    const legIds = new Set(expected[code]!.calls.flatMap((c) => [...c.mobileLegs, ...c.consultationLegs]));
    for (const uid of outgoingDials(events))
      if (legIds.has(uid)) legs += 1;
      else own += 1;
    for (const uid of new Set(steps.flatMap((s) => s.held))) held.push({ code, uid, leg: legIds.has(uid) });
  }
  return { own, legs, held };
}
