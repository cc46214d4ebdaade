// The Managers section with an account of 230 users (RetailCRM pages them, 100 at most per page) and
// the operator's extension directory as the only source of extensions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUser } from '@fleet/retailcrm-fake';
import { createAdminWorld, loggedIn, retailcrmSection } from './admin-helpers.ts';
import { ENTERPRISE, type World } from './fixtures.ts';

let w: World;
const USERS: FakeUser[] = Array.from({ length: 230 }, (_, i) => ({
  id: 1000 + i,
  firstName: `Имя${i}`,
  lastName: `Фамилия${String(i).padStart(3, '0')}`,
  active: i % 10 !== 9, // every tenth user is inactive: 207 active
  status: 'free',
}));

beforeAll(async () => {
  w = await createAdminWorld({ users: USERS });
  await w.sql`insert into extension_directory (enterprise, extension, name) values (${ENTERPRISE}, '151', 'Анна'), (${ENTERPRISE}, '152', 'Борис')`;
});
afterAll(() => w.close());

describe('managers', () => {
  it('lists every active user across all pages of /api/v5/users', async () => {
    const b = await loggedIn(w);
    const before = w.fake.state.requests;
    const res = await b.api('GET', '/managers');
    expect(res.statusCode, res.body).toBe(200);
    const ids = (res.json().managers as Array<{ id: number }>).map((m) => m.id).sort((a, c) => a - c);
    expect(ids).toEqual(USERS.filter((u) => u.active).map((u) => u.id));
    expect(ids).toHaveLength(207);
    expect(w.fake.state.requests - before).toBe(3); // pages 1, 2, 3 of 100
  });

  it('refuses an extension that is not in the directory (400 with the reason), saves nothing', async () => {
    const b = await loggedIn(w);
    const res = await b.api('PUT', '/managers', {
      changes: [
        { userId: '1000', extension: '151' },
        { userId: '1001', extension: '999' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'RCRM_ADMIN_UNKNOWN_EXTENSION', message: expect.stringContaining('999') });
    expect((await retailcrmSection(w.sql))!.user_extensions).toBeUndefined();
  });

  it('an extension mapped before the directory existed may stay with its holder, not go to another', async () => {
    await w.sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,user_extensions}', '{"1002": "777"}') where number = ${ENTERPRISE}`;
    const b = await loggedIn(w);
    const list = (await b.api('GET', '/managers')).json();
    expect(list.extensions).toEqual([
      { extension: '151', name: 'Анна' },
      { extension: '152', name: 'Борис' },
      { extension: '777', name: null },
    ]);
    const keep = await b.api('PUT', '/managers', {
      changes: [
        { userId: '1002', extension: '777' },
        { userId: '1003', extension: '152' },
      ],
    });
    expect(keep.statusCode, keep.body).toBe(200);
    expect(keep.json().mapping).toEqual({ '1002': '777', '1003': '152' });
    const move = await b.api('PUT', '/managers', { changes: [{ userId: '1004', extension: '777' }] });
    expect(move.statusCode).toBe(400);
    expect(move.json().code).toBe('RCRM_ADMIN_UNKNOWN_EXTENSION');
  });
});
