// End to end, issue 2's story: recorded host events in, RetailCRM popups and history out, through
// the three services as separate processes on a real PostgreSQL and a strict RetailCRM fake.
// De-risks: the happy path (2-1), replay idempotency, internal calls staying internal, exactly-once
// delivery when the RetailCRM service is down mid-replay, and a config change made in SQL reaching
// the gateway within a second without a restart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '@fleet/cli';
import { freshIds, randomIdSuffix } from '@fleet/cli';
import { addConnectedEnterprise, loadEvents, replay, sleep, startFleet, waitFor, type Fleet, API_KEY } from './harness.ts';

let f: Fleet;
const TOKEN = '375291110001';
const CALL_2_1 = '1757772742.60';

beforeAll(async () => {
  f = await startFleet();
}, 120_000);
afterAll(async () => {
  await f?.stop();
});
afterEach((ctx) => {
  // The services' own words are the fastest way to see why an end-to-end expectation failed.
  if (ctx.task.result?.state === 'fail') console.log(f.logs.slice(-80).join('\n'));
});

const eventsOf = (callId: string) => f.crm.state.events.filter((e) => e.event.callExternalId === callId).map((e) => e.event);
const uploadsOf = (callId: string) => f.crm.state.uploads.filter((u) => u.call.externalId === callId).map((u) => u.call);

describe('fleet end to end', () => {
  it('is configured with the operator CLI against the same database', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), env: process.env, connect: async () => ({ sql: f.sql, close: async () => {} }) };
    expect(await runFleet(['enterprise', 'add', '--number', '367', '--name', 'Acme', '--token', TOKEN, '--timezone', 'Europe/Minsk'], io)).toBe(0);
    expect(await runFleet(['retailcrm', 'set', '--enterprise', '367', '--domain', f.crmUrl, '--api-key', API_KEY], io)).toBe(0);
    expect(await runFleet(['retailcrm', 'map', '--enterprise', '367', '--user', '18', '--extension', '151'], io)).toBe(0);
    expect(out.join('\n')).not.toContain(API_KEY);
    await waitFor('gateway sees RetailCRM enabled', async () => ((await (await fetch(`${f.gatewayUrl}/integrations/367`)).json()) as { retailcrm: boolean }).retailcrm === true, 5000);
  });

  it('turns scenario 2-1 into a popup for 150, 151, 152, a hangup and one answered history record by 151', async () => {
    await replay(f, loadEvents('2-1'), TOKEN);
    await waitFor('the history record of 2-1', () => uploadsOf(CALL_2_1).length === 1);
    const events = eventsOf(CALL_2_1);
    const popup = events.find((e) => e.type === 'in')!;
    expect(popup).toMatchObject({ phone: '375440000001', codes: ['150', '151', '152'], userIds: [18] });
    expect(events.filter((e) => e.type === 'hangup')).toHaveLength(1);
    expect(events.find((e) => e.type === 'hangup')).toMatchObject({ hangupStatus: 'answered' });
    expect(uploadsOf(CALL_2_1)[0]).toMatchObject({ type: 'in', result: 'answered', code: '151', userId: 18, phone: '375440000001', externalId: CALL_2_1 });
    expect(String(uploadsOf(CALL_2_1)[0]!.date)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const [logged] = await f.sql`select count(*)::int as n from integration_logs where call_id = ${CALL_2_1} and ok`;
    expect(logged!.n).toBeGreaterThanOrEqual(3);
    const [leak] = await f.sql`select count(*)::int as n from integration_logs where request::text like ${'%' + API_KEY + '%'} or url like ${'%' + API_KEY + '%'}`;
    expect(leak!.n).toBe(0);
  });

  it('adds nothing when the same recording is replayed again', async () => {
    const before = { events: f.crm.state.events.length, uploads: f.crm.state.uploads.length };
    await replay(f, loadEvents('2-1'), TOKEN);
    await sleep(4000); // longer than the model's settle time and the delivery polls
    expect(f.crm.state.events.length).toBe(before.events);
    expect(f.crm.state.uploads.length).toBe(before.uploads);
    expect(f.crm.state.duplicateUploads).toBe(0);
  });

  it('sends nothing to the CRM for an internal call (3-1)', async () => {
    const before = f.crm.state.requests;
    await replay(f, loadEvents('3-1'), TOKEN);
    await waitFor('3-1 processed', async () => {
      const [c] = await f.sql`select status from calls where call_id = '1757775514.350'`;
      return c?.status === 'ended';
    });
    await sleep(1000);
    expect(f.crm.state.requests).toBe(before);
  });

  it('delivers everything pending exactly once after the RetailCRM service was down mid-replay', async () => {
    const scenarios = ['2-3', '1-1', '2-2', '2-12', '1-8', '2-4'].map((code) => ({ code, events: freshIds(loadEvents(code), randomIdSuffix()) }));
    const callIds = scenarios.map((s) => String(s.events.find((e) => e.event === 'start' || e.event === 'dial')!.body.UniqueId));
    await replay(f, scenarios[0]!.events, TOKEN);
    await waitFor('the first call delivered', () => uploadsOf(callIds[0]!).length === 1);
    await f.supervisor.kill('retailcrm');
    for (const s of scenarios.slice(1)) await replay(f, s.events, TOKEN);
    await sleep(3000); // deliveries pile up at the gateway meanwhile
    const [pending] = await f.sql`select count(*)::int as n from gateway_deliveries where status = 'pending'`;
    expect(pending!.n).toBeGreaterThan(0);
    await f.supervisor.revive('retailcrm');
    await waitFor('every call delivered', () => callIds.every((id) => uploadsOf(id).length === 1), 60_000);
    await sleep(1500);
    for (const id of callIds) {
      expect(uploadsOf(id), id).toHaveLength(1);
      expect(eventsOf(id).filter((e) => e.type === 'hangup'), id).toHaveLength(1);
    }
    expect(f.crm.state.duplicateUploads).toBe(0);
    const [left] = await f.sql`select count(*)::int as n from gateway_deliveries where status = 'pending'`;
    expect(left!.n).toBe(0);
  });

  it('sees a config change made in plain SQL within one second, without a restart', async () => {
    const delays: number[] = [];
    for (const enabled of [false, true, false, true]) {
      await f.sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,enabled}', ${f.sql.json(enabled)}) where number = '367'`;
      delays.push(
        await waitFor(`gateway sees enabled=${enabled}`, async () => ((await (await fetch(`${f.gatewayUrl}/integrations/367`)).json()) as { retailcrm: boolean }).retailcrm === enabled, 1000),
      );
    }
    console.log(`config change → gateway: ${delays.join(', ')} ms`);
    expect(Math.max(...delays)).toBeLessThan(1000);
  });

  it('answers /health on every service', async () => {
    for (const port of Object.values(f.ports)) {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
    }
  });
});
