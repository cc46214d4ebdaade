// A customer call answered only on a manager's mobile (FollowMe: 2-5, 2-14, 2-17) as RetailCRM sees
// it. The events name the mobile only; once the operator has said whose it is
// (extension_directory.mobile, `fleet extension add --mobile`), the history record names that
// extension and its RetailCRM user. Without a mapping the record names nobody, as before. The
// mapping is read with the settings on every request: a change shows on the next call, no restart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { managerOf } from '../src/index.ts';
import { answered, createWorld, ENTERPRISE, post, type World } from './fixtures.ts';
import { scenarioBodies } from './scenario.ts';

/** The scenarios' manager mobile (shared/domain/asterisk-events.md, "Scenario corpus"). */
const MOBILE = '375290000002';

let w: World;
beforeAll(async () => {
  w = await createWorld();
  await w.sql`insert into extension_directory (enterprise, extension, name) values (${ENTERPRISE}, '151', 'Иван'), (${ENTERPRISE}, '152', 'Борис')`;
});
afterAll(() => w.close());
afterEach(async () => {
  w.fake.reset();
  await w.sql`truncate retailcrm_call_steps, integration_logs`;
  await w.sql`update extension_directory set mobile = null`;
});

/** Posts every delivery of the scenario, as the gateway would; each must be accepted. */
async function replay(code: string) {
  const bodies = scenarioBodies(code, ENTERPRISE);
  expect(bodies.filter((b) => b.event_type === 'hangup')).toHaveLength(1);
  for (const b of bodies) {
    const res = await post(w.app, b);
    expect({ code, step: b.dedup_key, status: res.statusCode, body: res.json() }).toMatchObject({ status: 200 });
  }
  expect(w.fake.state.uploads).toHaveLength(1);
  return w.fake.state.uploads[0]!.call;
}
const mapMobile = (extension: string) =>
  w.sql`update extension_directory set mobile = ${MOBILE} where enterprise = ${ENTERPRISE} and extension = ${extension}`;

describe('answered only on a mobile', () => {
  it('2-5 with the mobile mapped to 151: the record names code 151 and its user 18', async () => {
    await mapMobile('151');
    const upload = await replay('2-5');
    expect(upload).toMatchObject({
      type: 'in',
      phone: '375440000001',
      result: 'answered',
      code: '151',
      userId: 18,
      externalId: '1757773501.95',
    });
    // The popups are untouched: they go to the extensions that rang, never to a mobile.
    expect(w.fake.state.events.map((e) => e.event.codes)).toContainEqual(['150', '151', '152']);
  });

  it('2-5 without a mapping: answered, but no code and no userId (as before the directory had mobiles)', async () => {
    const upload = await replay('2-5');
    expect(upload.result).toBe('answered');
    expect(upload).not.toHaveProperty('code');
    expect(upload).not.toHaveProperty('userId');
  });

  it('2-14 after the operator gives the mobile to 152: the next call names 152 and user 19 (no stale cache)', async () => {
    await mapMobile('151');
    await w.sql`update extension_directory set mobile = null where extension = '151'`;
    await mapMobile('152');
    expect(await replay('2-14')).toMatchObject({ result: 'answered', code: '152', userId: 19 });
  });

  it('2-17 with a mapping to an extension no RetailCRM user has: the code alone, no invented userId', async () => {
    await w.sql`insert into extension_directory (enterprise, extension, name, mobile) values (${ENTERPRISE}, '153', 'Вера', ${MOBILE})`;
    try {
      const upload = await replay('2-17');
      expect(upload).toMatchObject({ result: 'answered', code: '153' });
      expect(upload).not.toHaveProperty('userId');
    } finally {
      await w.sql`delete from extension_directory where extension = '153'`;
    }
  });

  it("another enterprise's mapping of the same mobile names nobody here", async () => {
    await w.sql`insert into enterprises (number, name, host_token) values ('202', 'Other', 'token-202')`;
    await w.sql`insert into extension_directory (enterprise, extension, name, mobile) values ('202', '151', 'Чужой', ${MOBILE})`;
    const upload = await replay('2-5');
    expect(upload).not.toHaveProperty('code');
  });
});

describe('managerOf', () => {
  const settings = {
    enterprise: ENTERPRISE,
    origin: 'https://x',
    apiKey: 'k',
    timezone: 'Europe/Minsk',
    userExtensions: { '18': '151' },
    mobileExtensions: { [MOBILE]: '151' },
    recordUrlTemplate: undefined,
    missedCallTasks: { enabled: false, fallbackUserId: null, dueMinutes: 15 },
    createCustomers: false,
  };

  it('compares the mobile as digits, however the host spelled it', () => {
    for (const who of [MOBILE, `+${MOBILE}`, '+375 (29) 000-00-02']) {
      expect(managerOf(answered({ answeredBy: who }), settings), who).toEqual({ code: '151', userId: 18 });
    }
  });

  it('an extension still names itself, an unmapped mobile nobody', () => {
    expect(managerOf(answered({ answeredBy: '152' }), settings)).toEqual({ code: '152' });
    expect(managerOf(answered({ answeredBy: '375290000009' }), settings)).toEqual({});
    expect(managerOf(answered({ answeredBy: null }), settings)).toEqual({});
  });
});
