// Managers take calls back to back all day, and the next call of a manager often starts while the
// model still holds the previous one open: `call.ended` waits settleMs after the hangup, an outgoing
// call whose client was transferred waits for the client's last bridge (1-4), a call without a final
// hangup closes 5 s after the client's last bridge (2-28). The audit found the next call absorbed
// into the previous one (1-4 then 1-5: 1-5 vanished into 1-4's consultation legs; 2-28 then 1-3).
// Every ordered pair of customer scenarios is placed back to back, sharing the managers (150/151/152,
// FollowMe 300 and the managers' mobile) with fresh UniqueIds: each call must come out as alone, with
// the same deliveries (effect keys and popups).
import { describe, expect, it } from 'vitest';
import { loadScenario, offsets, run, scenarioFiles } from './harness.ts';
import { byId, deliveries, expected, outcomes, want } from './outcomes.ts';
import { CLIENT, MOBILE, delayed, merge, remapOutcome, remapScenario, timed, type Remap } from './remap.ts';
import { RUN_SEED, rngFor } from './seeds.ts';
import { hostSpan } from './timeline.ts';

const customer = scenarioFiles()
  .map((f) => f.code)
  .filter((c) => c !== '1-11' && expected[c]!.customerCalls > 0);

const scenario = new Map(customer.map((code) => [code, loadScenario(code)] as const));

/** Deliveries of each scenario alone, by original callId (renamed per pair below). */
const alone = new Map(
  customer.map((code) => {
    const events = scenario.get(code)!;
    return [code, deliveries(run(events, offsets(events)).effects)] as const;
  }),
);

function renamed(code: string, map: Remap): Record<string, string[]> {
  return Object.fromEntries(Object.entries(alone.get(code)!).map(([id, keys]) => [map.uid.get(id) ?? id, keys]));
}

interface Variant {
  /** The second call is the same client calling again (or called back) instead of a new one. */
  sameClient: boolean;
  /** Events of different UniqueIds delayed 0-2 s (both calls' events may then interleave). */
  reorder: boolean;
}

/** Runs `a` then `b` starting `gap` ms after a's last event; checks both against their expectations. */
function backToBack(a: string, b: string, gap: number, seed: number, v: Variant): void {
  const rnd = rngFor(seed, `${a} ${b} ${gap} ${v.sameClient} ${v.reorder}`);
  const ra = remapScenario(scenario.get(a)!, rnd, null, { [MOBILE]: MOBILE });
  const client: Record<string, string> = v.sameClient ? { [CLIENT]: ra.map.num.get(CLIENT)! } : {};
  // b follows a on the host too: its first channel a second after a's last host time (plus the gap).
  const span = hostSpan(ra.events);
  const rb = remapScenario(
    scenario.get(b)!,
    rnd,
    null,
    { [MOBILE]: MOBILE, ...client },
    span.end + 1 + Math.ceil(gap / 1000),
  );
  const ta = offsets(ra.events);
  let list = merge(timed(ra.events, ta, 0), timed(rb.events, offsets(rb.events), 1, Math.max(...ta) + gap));
  if (v.reorder) list = delayed(list, rnd, 2000);
  const why = `${a} then ${b} ${gap} ms later (seed ${seed})`;
  const got = outcomes(list, why);
  const exp = [...want(a).map((o) => remapOutcome(o, ra.map)), ...want(b).map((o) => remapOutcome(o, rb.map))].sort(
    byId,
  );
  expect(got.calls, why).toEqual(exp);
  expect(deliveries(got.effects), why).toEqual({ ...renamed(a, ra.map), ...renamed(b, rb.map) });
}

describe.each([500, 2000, 4000])('the next call %i ms after the last event of the previous one', (gap) => {
  it.each(customer)('%s, then every customer scenario with a new client: each as alone', (a) => {
    for (const b of customer) backToBack(a, b, gap, 1, { sameClient: false, reorder: false });
  });

  it.each(customer)('%s, then every customer scenario with the same client again: each as alone', (a) => {
    for (const b of customer) backToBack(a, b, gap, 1, { sameClient: true, reorder: false });
  });
});

// With events up to 2 s late, the previous call's last events may arrive up to 2 s after the next
// call's first ones. By arrival time alone a manager's next dial was told from a transfer leg only
// 4 s (twice the reordering bound) after the previous call's last event; with the host's times (the
// next call's channels created after the previous call's EndTime) 2 s suffice. Closer than the
// reordering bound the two calls' events interleave (README "Known limits").
// CALL_MODEL_REORDER_GAP=<ms> runs this at another gap.
const REORDER_GAP = Number(process.env.CALL_MODEL_REORDER_GAP ?? 2000);

describe(`the next call ${REORDER_GAP} ms later, events up to 2 s out of order (seed 1 and run seed ${RUN_SEED})`, () => {
  it.each(customer)('%s, then every customer scenario with a new client: each as alone', (a) => {
    for (const seed of [1, RUN_SEED])
      for (const b of customer) backToBack(a, b, REORDER_GAP, seed, { sameClient: false, reorder: true });
  });
});
