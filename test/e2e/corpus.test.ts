// End to end, issue 3's story: every recorded scenario of the shared corpus through the running
// services, each as its own enterprise, compared at the strict RetailCRM fake with the outcomes the
// call model's expected-outcomes.json settles (packages/call-model/test). De-risks: one history record
// with the right fields per customer call, popups for every ringing extension, one hangup event;
// nothing for internal calls, mobile legs and consultation legs; a second replay of the whole corpus
// changes nothing; call-intake killed (SIGKILL) between events at random points changes nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshIds, randomIdSuffix, type ScenarioEvent } from '@fleet/cli';
import { addConnectedEnterprise, corpus, EXPECTED, loadEvents, replay, sleep, startFleet, waitFor, type Fleet } from './harness.ts';


let f: Fleet;
beforeAll(async () => {
  f = await startFleet();
}, 120_000);
afterAll(async () => {
  await f?.stop();
});
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') console.log(f.logs.filter((l) => /"level":[45]/.test(l)).slice(-40).join('\n'));
});

const isExtension = (s: string | null) => !!s && /^\d{2,5}$/.test(s);

/** Everything the CRM observed about one call id. */
function observed(callId: string) {
  const events = f.crm.state.events.filter((e) => e.event.callExternalId === callId).map((e) => e.event);
  return {
    popups: events.filter((e) => e.type === 'in' || e.type === 'out'),
    hangups: events.filter((e) => e.type === 'hangup'),
    uploads: f.crm.state.uploads.filter((u) => u.call.externalId === callId).map((u) => u.call),
  };
}

/** Asserts the CRM's view of a scenario; `rename` maps recorded UniqueIds to the replayed ones. */
function assertScenario(code: string, rename: (id: string) => string = (id) => id): void {
  for (const c of EXPECTED[code]!.calls) {
    const id = rename(c.callId);
    const seen = observed(id);
    const where = `${code} call ${id}`;
    if (c.kind === 'internal') {
      expect(seen.popups.length + seen.hangups.length + seen.uploads.length, `${where}: internal calls stay internal`).toBe(0);
      continue;
    }
    expect(seen.uploads, `${where}: exactly one history record`).toHaveLength(1);
    const up = seen.uploads[0]!;
    expect(up, where).toMatchObject({ type: c.direction, result: c.result, phone: c.phone });
    // Outgoing: the manager who dialled, answered or not. Incoming: who took it, when an extension did.
    const manager = c.direction === 'out' ? c.ringing[0] : isExtension(c.answeredBy) ? c.answeredBy : undefined;
    expect(up.code, `${where}: the manager, never an invented one`).toBe(manager);
    expect(up.userId, `${where}: userId only for the mapped manager`).toBe(up.code === '151' ? 18 : undefined);
    const popped = new Set(seen.popups.flatMap((p) => p.codes ?? []));
    expect([...popped].sort(), `${where}: a popup for every ringing extension`).toEqual([...c.ringing].sort());
    expect(seen.hangups, `${where}: one hangup event`).toHaveLength(c.ringing.length ? 1 : 0);
    for (const leg of [...c.mobileLegs, ...c.consultationLegs]) {
      const l = observed(rename(leg));
      expect(l.popups.length + l.hangups.length + l.uploads.length, `${where}: leg ${leg} is no call of its own`).toBe(0);
    }
  }
}

const codes = corpus()
  .map((e) => e.code)
  .filter((code) => EXPECTED[code]);
const customerIds = (code: string, rename: (id: string) => string = (id) => id) =>
  EXPECTED[code]!.calls.filter((c) => c.kind === 'customer').map((c) => rename(c.callId));

describe('the whole corpus through the running fleet', () => {
  it('gives every scenario its expected outcome at the CRM', async () => {
    await Promise.all(codes.map((code, i) => addConnectedEnterprise(f, String(1000 + i), `corpus-${i}`)));
    // Each scenario is its own enterprise (its host), replayed concurrently with the others.
    await Promise.all(codes.map((code, i) => replay(f, loadEvents(code), `corpus-${i}`)));
    const all = codes.flatMap((code) => customerIds(code));
    await waitFor('every customer call recorded', () => all.every((id) => observed(id).uploads.length >= 1), 90_000);
    await sleep(2000); // anything late or doubled would arrive now
    for (const code of codes) assertScenario(code);
    expect(f.crm.state.uploads).toHaveLength(all.length);
    expect(f.crm.state.rejections.filter((r) => r.reason !== 'rate_limit'), 'no contract violation').toEqual([]);
  });

  it('changes nothing when the whole corpus is replayed a second time', async () => {
    const before = { events: f.crm.state.events.length, uploads: f.crm.state.uploads.length };
    await Promise.all(codes.map((code, i) => replay(f, loadEvents(code), `corpus-${i}`)));
    await sleep(9000); // beyond settle (2 s) and close-without-hangup (5 s) timers
    expect(f.crm.state.events.length).toBe(before.events);
    expect(f.crm.state.uploads.length).toBe(before.uploads);
    expect(f.crm.state.duplicateUploads).toBe(0);
  });

  it('gives the same outcomes when call-intake is killed between events at random points', async () => {
    const picked = ['2-1', '2-5', '2-8', '2-12', '2-19', '1-9', '2-23', '1-4'];
    const runs = picked.map((code, i) => {
      const suffix = randomIdSuffix();
      const events: ScenarioEvent[] = freshIds(loadEvents(code), suffix);
      const rename = (id: string) => `${id}${suffix}`;
      return { code, events, rename, token: `restart-${i}` };
    });
    await Promise.all(runs.map((r, i) => addConnectedEnterprise(f, String(2000 + i), r.token)));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let kills = 0;
    for (const r of runs) {
      const cut = 1 + Math.floor(random() * (r.events.length - 1));
      await replay(f, r.events.slice(0, cut), r.token);
      await f.supervisor.kill('call-intake'); // hosts never retry: the kill is between two posts
      kills++;
      await f.supervisor.revive('call-intake');
      await replay(f, r.events.slice(cut), r.token);
    }
    const all = runs.flatMap((r) => customerIds(r.code, r.rename));
    await waitFor('every customer call recorded', () => all.every((id) => observed(id).uploads.length >= 1), 90_000);
    await sleep(2000);
    for (const r of runs) assertScenario(r.code, r.rename);
    expect(kills).toBe(runs.length);
  });
});
