// Issue 7 §6 end to end, on the fleet as processes: /ready on every service (one shape), the sweeper
// closing a call whose hangup never comes (at the CRM exactly once, marked origin 'timeout'), and
// SIGTERM under load: each service exits 0 within runService's bound with nothing half-done.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioEvent } from '@fleet/cli';
import { addConnectedEnterprise, loadEvents, sleep, startFleet, waitFor, type Fleet } from './harness.ts';

const TOKEN = '375297770001';
const STALE_MS = 5000;
const GRACE_MS = 20_000; // runService's force-exit bound
let f: Fleet;
let journalDir: string;

const fresh = (events: ScenarioEvent[], tag: string): ScenarioEvent[] =>
  JSON.parse(JSON.stringify(events).replace(/"(\d{10}\.\d+)"/g, `"$1${tag}"`)) as ScenarioEvent[];
const callIdOf = (events: ScenarioEvent[]) =>
  String(events.find((e) => e.event === 'start' || e.event === 'dial')!.body.UniqueId);
const uploadsOf = (callId: string) => f.crm.state.uploads.filter((u) => u.call.externalId === callId);
const hangupsOf = (callId: string) =>
  f.crm.state.events.filter((e) => e.event.callExternalId === callId && e.event.type === 'hangup');

async function post(ev: ScenarioEvent): Promise<number> {
  const body = JSON.parse(JSON.stringify(ev.body).replaceAll('ENTERPRISE_TOKEN', TOKEN));
  try {
    const res = await fetch(`${f.intakeUrl}/${ev.event}`, {
      method: 'POST',
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(3000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

const child = (name: string) =>
  (f.supervisor as unknown as { services: Map<string, { child: ChildProcess | null }> }).services.get(name)!.child!;

/** SIGTERM to a service; resolves with its exit code and how long the drain took. */
function sigterm(name: string): Promise<{ code: number | null; ms: number }> {
  const c = child(name);
  const t0 = Date.now();
  return new Promise((ok) => {
    c.once('exit', (code) => ok({ code, ms: Date.now() - t0 }));
    c.kill('SIGTERM');
  });
}

beforeAll(async () => {
  journalDir = mkdtempSync(join(tmpdir(), 'e2e-journal-'));
  f = await startFleet({ CALL_STALE_MS: String(STALE_MS), JOURNAL_DIR: journalDir });
  await addConnectedEnterprise(f, '471', TOKEN);
});
afterAll(async () => {
  await f?.stop();
  rmSync(journalDir, { recursive: true, force: true });
});

describe('operability', () => {
  it('answers GET /ready on every service with one shape: status, service, reasons, checks', async () => {
    const seen: Record<string, unknown> = {};
    for (const [name, port] of Object.entries(f.ports)) {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      const body = (await res.json()) as {
        status: string;
        service: string;
        reasons: string[];
        checks: Record<string, { ok: boolean; critical: boolean }>;
      };
      expect(res.status, name).toBe(200);
      // call-intake's database check is not critical: with the journal it still acknowledges events.
      expect(body, name).toMatchObject({
        status: 'ready',
        reasons: [],
        checks: { database: { ok: true, critical: name !== 'callIntake' } },
      });
      for (const c of Object.values(body.checks))
        expect(typeof c.ok === 'boolean' && typeof c.critical === 'boolean').toBe(true);
      seen[name] = Object.keys(body.checks);
    }
    expect(seen).toMatchObject({
      callIntake: expect.arrayContaining(['database', 'listen', 'journal', 'outbox']),
      gateway: expect.arrayContaining(['database', 'listen', 'breakers']),
    });
  });

  it('closes a call whose hangup never comes after CALL_STALE_MS, at the CRM exactly once and marked as a timeout', async () => {
    const events = fresh(loadEvents('2-1'), '91').filter((e) => e.event !== 'hangup');
    const callId = callIdOf(events);
    for (const ev of events) expect(await post(ev)).toBe(200);
    const waited = await waitFor('the swept call at the CRM', () => uploadsOf(callId).length === 1, STALE_MS + 20_000);
    await sleep(2500);
    expect(uploadsOf(callId)).toHaveLength(1);
    expect(hangupsOf(callId)).toHaveLength(1);
    expect(f.crm.state.duplicateUploads).toBe(0);
    const [call] = await f.sql<
      { status: string; summary: { closedByTimeout: boolean } }[]
    >`select status, summary from calls where call_id = ${callId}`;
    expect(call).toMatchObject({ status: 'ended', summary: { closedByTimeout: true } });
    const origins = await f.sql<
      { origin: string }[]
    >`select payload->>'origin' as origin from intake_outbox where call_id = ${callId} and event_type = 'hangup'`;
    expect(origins.map((o) => o.origin)).toEqual(['timeout']);
    console.log(
      `[sweeper] call without hangup at the CRM ${waited} ms after its last event was posted (CALL_STALE_MS ${STALE_MS}); result ${uploadsOf(callId)[0]!.call.result}`,
    );
  });

  it('drains on SIGTERM under load: each service exits 0 within the bound, with nothing half-done', async () => {
    const results: Record<string, { code: number | null; ms: number }> = {};
    const acked: ScenarioEvent[] = [];
    const codes = ['2-1', '2-3', '1-1', '2-2', '2-12', '1-8', '2-4', '2-5'];
    let round = 0;
    let loading = true;
    // Load: scenarios posted back to back by four lanes, until told to stop.
    const load = Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        while (loading) {
          const events = fresh(loadEvents(codes[round++ % codes.length]!), `7${lane}${round}`);
          for (const ev of events) if ((await post(ev)) === 200) acked.push(ev);
        }
      }),
    );
    await sleep(1500);
    results['call-intake'] = await sigterm('call-intake');
    // Every acknowledged event is in call_events (or, had the database been down, in the journal).
    const keys = new Set(
      (await f.sql<{ u: string; t: string }[]>`select unique_id as u, event_type as t from call_events`).map(
        (r) => `${r.t} ${r.u}`,
      ),
    );
    const journaled = readdirSync(journalDir)
      .filter((n) => n.endsWith('.jnl'))
      .map((n) => readFileSync(join(journalDir, n), 'utf8'))
      .join('');
    const lost = acked.filter(
      (e) => !keys.has(`${e.event} ${String(e.body.UniqueId ?? '')}`) && !journaled.includes(String(e.body.UniqueId)),
    );
    expect(lost).toEqual([]);
    await f.supervisor.revive('call-intake');
    await sleep(1500);
    results.gateway = await sigterm('gateway');
    await f.supervisor.revive('gateway');
    await sleep(1500);
    results.retailcrm = await sigterm('retailcrm');
    await f.supervisor.revive('retailcrm');
    loading = false;
    await load;
    for (const [name, r] of Object.entries(results)) {
      // A failed drain says why: the service's own last lines (its log, or a crash's stack on stderr).
      const tail = () =>
        f.logs
          .filter((l) => l.startsWith(`${name} |`))
          .slice(-40)
          .join('\n');
      expect(r.code, `${name} exit code; its last lines:\n${r.code === 0 ? '' : tail()}`).toBe(0);
      expect(r.ms, name).toBeLessThan(GRACE_MS);
    }
    // Nothing half-done: everything acknowledged ends up delivered exactly once, no step left running.
    await waitFor(
      'nothing pending',
      async () => {
        const [p] = await f.sql<{ n: number }[]>`
        select (select count(*) from intake_outbox where status = 'pending')
             + (select count(*) from call_events where processed_at is null) as n`;
        return Number(p!.n) === 0;
      },
      90_000,
    );
    const [running] = await f.sql<
      { n: number }[]
    >`select count(*)::int as n from retailcrm_call_steps where status = 'running'`;
    expect(running!.n).toBe(0);
    expect(f.crm.state.duplicateUploads).toBe(0);
    console.log(
      `[shutdown] SIGTERM under load (${acked.length} events acknowledged): ${Object.entries(results)
        .map(([n, r]) => `${n} exit ${r.code} in ${r.ms} ms`)
        .join(', ')}`,
    );
  }, 240_000);
});
