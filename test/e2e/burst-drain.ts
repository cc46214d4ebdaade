// Issue 13's burst for the e2e corpus: one enterprise's whole corpus as one host's working day, drained
// at once as the outage journal or the recovery job would. Each scenario is moved on the host's clock
// to start a second after the previous one's last host time (UniqueId epochs and counters, hangup
// times, channel counters, BridgeUniqueids: the call model's test/timeline.ts), so the calls follow
// each other as the same managers' and client's calls do; the test then posts every event back to back.
import type { ScenarioEvent } from '@fleet/cli';
import type { FixtureEvent } from '../../packages/call-model/test/harness.ts';
import { counters, hostSpan, shifted } from '../../packages/call-model/test/timeline.ts';

export interface DrainedScenario {
  code: string;
  events: ScenarioEvent[];
  /** Recorded UniqueId → the one this drain posts. */
  rename: (id: string) => string;
}

/**
 * The scenarios `codes` (loaded by `load`) one after another on one host, `daysLater` days after the
 * first recording (so that no UniqueId repeats one another test of the same fleet posted).
 */
export function drainChain(
  codes: readonly string[],
  load: (code: string) => ScenarioEvent[],
  daysLater = 30,
): DrainedScenario[] {
  const out: DrainedScenario[] = [];
  let hostAt: number | null = null;
  let seq = 1_000_000;
  let channel = 0x100000;
  codes.forEach((code, k) => {
    const events = load(code) as FixtureEvent[];
    if (!events.some((e) => typeof e.body.UniqueId === 'string' && e.body.UniqueId)) {
      out.push({ code, events, rename: (id) => id }); // 1-11 posts nothing
      return;
    }
    const span = hostSpan(events);
    hostAt ??= span.start + daysLater * 86_400;
    const r = shifted(events, hostAt - span.start, seq, channel, `drain${k}`);
    hostAt += span.end - span.start + 1;
    const c = counters(r.events);
    seq = c.seq + 1;
    channel = c.channel + 1;
    out.push({ code, events: r.events as ScenarioEvent[], rename: (id) => r.map.uid.get(id) ?? id });
  });
  return out;
}
