// Mapping drift (issue 14 item 4): RetailCRM answers a popup with the extensions it has no user for
// (notExistCodes) and the users it does not know (notExistUsers). The strict fake answers so when its
// module holds additionalCodes without the code, or has no such user. What the operator and the admin
// observe: /metrics counts each occurrence per enterprise and kind, the admin page's state lists each
// extension or user with how often and when, the popup itself still succeeds, and saving the managers'
// mapping (which pushes the codes to RetailCRM) clears the list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promValue } from '../../../test/ops/prom-text.ts';
import { loggedIn } from './admin-helpers.ts';
import { call, createWorld, dial, ENTERPRISE, hangup, post, type World } from './fixtures.ts';

let w: World;

beforeAll(async () => {
  w = await createWorld();
  // RetailCRM knows extension 151 (user 18) only; we also map 153 to user 25, whom RetailCRM lacks.
  w.fake.state.modules['fleet-telephony'] = {
    code: 'fleet-telephony',
    integrations: { telephony: { additionalCodes: [{ userId: 18, code: '151' }] } },
  };
  await w.sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,user_extensions}',
    '{"18": "151", "19": "152", "25": "153"}') where number = ${ENTERPRISE}`;
});
afterAll(() => w.close());

const drift = (text: string, kind: string) =>
  promValue(text, 'fleet_retailcrm_mapping_drift_total', { enterprise: ENTERPRISE, kind });

describe('mapping drift', () => {
  it('a popup to unmapped extensions is delivered, counted in /metrics and listed for the admin page', async () => {
    const c = call({ ringing: ['151', '152', '153'] });
    const res = await post(w.app, dial(c, ['151', '152', '153']));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().steps).toEqual([{ step: 'event:dial:dial:1', outcome: 'done' }]);
    let text = (await w.app.inject({ url: '/metrics' })).body;
    expect(drift(text, 'code')).toBe(2); // 152 and 153
    expect(drift(text, 'user')).toBe(1); // 25

    expect(
      (await post(w.app, hangup({ ...c, status: 'ended', result: 'no answer', endedAt: c.startedAt + 30_000 })))
        .statusCode,
    ).toBe(200);
    text = (await w.app.inject({ url: '/metrics' })).body;
    expect(drift(text, 'code')).toBe(4);

    const b = await loggedIn(w);
    const state = (await b.api('GET', '/state')).json() as { mappingDrift: Array<Record<string, unknown>> };
    expect(state.mappingDrift.map(({ kind, value, seen, lastCallId }) => ({ kind, value, seen, lastCallId }))).toEqual([
      { kind: 'code', value: '152', seen: 2, lastCallId: c.callId },
      { kind: 'code', value: '153', seen: 2, lastCallId: c.callId },
      { kind: 'user', value: '25', seen: 2, lastCallId: c.callId },
    ]);
  });

  it('a popup RetailCRM fully knows notes nothing', async () => {
    const before = (await w.sql<{ n: number }[]>`select sum(seen)::int as n from retailcrm_mapping_drift`)[0]!.n;
    const res = await post(w.app, dial(call({ callId: 'known.1', ringing: ['151'] }), ['151']));
    expect(res.statusCode, res.body).toBe(200);
    expect((await w.sql<{ n: number }[]>`select sum(seen)::int as n from retailcrm_mapping_drift`)[0]!.n).toBe(before);
  });

  it("another enterprise's admin sees none of it", async () => {
    const rows = await w.app.rcrmDrift.list('999');
    expect(rows).toEqual([]);
  });

  it('saving the managers on the admin page pushes the codes to RetailCRM and clears the list', async () => {
    await w.sql`insert into extension_directory (enterprise, extension, name) values (${ENTERPRISE}, '151', 'Анна'), (${ENTERPRISE}, '152', 'Борис')`;
    const b = await loggedIn(w);
    const res = await b.api('PUT', '/managers', { changes: [{ userId: '25', extension: null }] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().push.ok).toBe(true);
    expect((await b.api('GET', '/state')).json().mappingDrift).toEqual([]);
    // RetailCRM now knows 152 (user 19): the next popup to it notes nothing.
    expect((await post(w.app, dial(call({ callId: 'after.1', ringing: ['152'] }), ['152']))).statusCode).toBe(200);
    expect(await w.app.rcrmDrift.list(ENTERPRISE)).toEqual([]);
  });
});
