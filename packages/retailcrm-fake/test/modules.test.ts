// integration-modules/{code}/edit fails the way the predecessor's registration failed
// (shared/domain/retailcrm.md, "Lessons from the predecessor integration").
import { afterEach, describe, expect, it } from 'vitest';
import { makeFake } from './helpers.ts';

const MODULE = {
  code: 'fleet-tel',
  active: true,
  name: 'Fleet telephony',
  logo: 'https://fleet.example/logo.svg',
  clientId: 'client-secret-1',
  baseUrl: 'https://fleet.example',
  accountUrl: 'https://fleet.example/account',
  integrations: {
    telephony: { makeCallUrl: 'https://fleet.example/call', additionalCodes: [{ userId: 18, code: '151' }] },
  },
};
const EDIT = '/api/v5/integration-modules/fleet-tel/edit';
let f: ReturnType<typeof makeFake>;
afterEach(() => f?.fake.close());

describe('integration-modules edit', () => {
  it.each([
    ['a code other than the path', { ...MODULE, code: 'other' }, 'code'],
    ['a blank baseUrl', { ...MODULE, baseUrl: ' ' }, 'baseUrl'],
    ['a PNG logo', { ...MODULE, logo: 'https://fleet.example/logo.png' }, 'logo'],
    ['actions', { ...MODULE, actions: { foo: 'bar' } }, 'actions'],
    ['a code not starting with integrationCode', { ...MODULE, integrationCode: 'acme' }, 'integrationCode'],
  ])('rejects %s', async (_name, module, field) => {
    f = makeFake();
    const res = await f.post(EDIT, { integrationModule: module });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toHaveProperty(field);
    expect(f.fake.state.modules).toEqual({});
  });

  it('creates (201), updates (200) and reads back with int userIds and string codes', async () => {
    f = makeFake();
    expect((await f.post(EDIT, { integrationModule: MODULE })).statusCode).toBe(201);
    const edited = { ...MODULE, integrations: { telephony: { additionalCodes: [{ userId: '19', code: 152 }] } } };
    expect((await f.post(EDIT, { integrationModule: edited })).statusCode).toBe(200);
    const got = (await f.get('/api/v5/integration-modules/fleet-tel')).json();
    expect(got.integrationModule.integrations.telephony.additionalCodes).toEqual([{ userId: 19, code: '152' }]);
    expect((await f.get('/api/v5/integration-modules/nope')).statusCode).toBe(404);
  });

  it('replaces additionalCodes wholesale: an edit without them empties the manager map', async () => {
    f = makeFake();
    await f.post(EDIT, { integrationModule: MODULE });
    await f.post(EDIT, {
      integrationModule: { ...MODULE, integrations: { telephony: { makeCallUrl: 'https://fleet.example/call' } } },
    });
    expect(f.fake.state.modules['fleet-tel']).toMatchObject({ integrations: { telephony: { additionalCodes: [] } } });
  });

  it('silently ignores telephony settings at the root or under configuration', async () => {
    f = makeFake();
    const res = await f.post(EDIT, {
      integrationModule: {
        ...MODULE,
        integrations: undefined,
        makeCallUrl: 'https://x.example',
        configuration: { additionalCodes: [] },
      },
    });
    expect(res.statusCode).toBe(201);
    expect(f.fake.state.modules['fleet-tel']).not.toHaveProperty('makeCallUrl');
    expect(f.fake.state.ignoredModuleFields).toEqual([
      { code: 'fleet-tel', fields: ['makeCallUrl', 'configuration.additionalCodes'] },
    ]);
  });

  it('lists unknown users in info.notExistUsersIds and still succeeds', async () => {
    f = makeFake({ users: [{ id: 18 }] });
    const module = {
      ...MODULE,
      integrations: {
        telephony: {
          additionalCodes: [
            { userId: 18, code: '151' },
            { userId: 77, code: '152' },
          ],
        },
      },
    };
    const res = await f.post(EDIT, { integrationModule: module });
    expect(res.json()).toEqual({ success: true, info: { notExistUsersIds: [77] } });
  });
});

describe('users', () => {
  const users = Array.from({ length: 25 }, (_, i) => ({
    id: i + 1,
    firstName: `U${i + 1}`,
    active: i % 5 !== 0,
    isManager: true,
  }));

  it('paginates with limit 20|50|100 and filters', async () => {
    f = makeFake({ users });
    const p2 = (await f.get('/api/v5/users?limit=20&page=2')).json();
    expect(p2.pagination).toEqual({ limit: 20, totalCount: 25, currentPage: 2, totalPageCount: 2 });
    expect(p2.users.map((u: { id: number }) => u.id)).toEqual([21, 22, 23, 24, 25]);
    const active = (await f.get('/api/v5/users?limit=50&filter[active]=1')).json();
    expect(active.pagination.totalCount).toBe(20);
    expect((await f.get('/api/v5/users?limit=30')).statusCode).toBe(400);
  });
});
