// What the hosts will post: corpus scenarios with fresh UniqueIds, dealt to several hosts (one
// enterprise each, scenarios one after another as a PBX's calls come), until enough customer calls.
import { freshIds, substituteToken, type ScenarioEvent } from '@fleet/cli';
import { corpus, EXPECTED, loadEvents, type ExpectedCall } from '../e2e/harness.ts';
import type { Rng } from '../support/rng.ts';

export interface Host {
  index: number;
  enterprise: string;
  token: string;
  bot: number;
  chats: number[];
}

/** One replay of a scenario: its events (fresh ids, the host's token) and its calls, renamed. */
export interface Run {
  code: string;
  host: Host;
  events: ScenarioEvent[];
  calls: ExpectedCall[];
  rename: (id: string) => string;
}

export const CHATS_PER_HOST = 2;

export function hosts(n: number): Host[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    enterprise: String(7000 + i),
    token: `faults-host-${i}`,
    bot: i,
    chats: Array.from({ length: CHATS_PER_HOST }, (_, c) => 30_000 + i * 10 + c),
  }));
}

/** Scenario replays in a seeded order until `customerCalls` customer calls, dealt round-robin to `hs`. */
export function plan(rng: Rng, hs: Host[], customerCalls: number): Run[] {
  const codes = corpus()
    .map((e) => e.code)
    .filter((c) => EXPECTED[c]);
  const runs: Run[] = [];
  let customers = 0;
  let serial = 100_000;
  while (customers < customerCalls) {
    const code = rng.pick(codes);
    const suffix = String(serial++);
    const host = hs[runs.length % hs.length]!;
    const events = substituteToken(freshIds(loadEvents(code), suffix), host.token);
    const rename = (id: string) => `${id}${suffix}`;
    const calls = EXPECTED[code]!.calls.map((c) => ({
      ...c,
      callId: rename(c.callId),
      mobileLegs: c.mobileLegs.map(rename),
      consultationLegs: c.consultationLegs.map(rename),
    }));
    customers += calls.filter((c) => c.kind === 'customer').length;
    runs.push({ code, host, events, calls, rename });
  }
  return runs;
}
