// fleet retailcrm tasks (issue 14): the operator's switch of missed-call tasks, stored with the
// enterprise's RetailCRM settings (merged: the connection and the manager map stay), read back by show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { fleetOn } from './fleet-harness.ts';

let db: TestDatabase;
let sql: Sql;
let fleet: ReturnType<typeof fleetOn>;

const section = async () =>
  (
    await sql<{ c: Record<string, unknown> }[]>`
      select integrations_config->'retailcrm' as c from enterprises where number = '201'`
  )[0]!.c;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  fleet = fleetOn(sql);
  await sql`
    insert into enterprises (number, name, host_token, integrations_config)
    values ('201', 'Shop', '375291110201', ${sql.json({ retailcrm: { enabled: true, domain: 'https://shop.retailcrm.ru', user_extensions: { '18': '151' } } })})`;
});

afterAll(async () => {
  await sql.end();
  await db.drop();
});

describe('fleet retailcrm tasks', () => {
  it('--on with a fallback user and a due delay stores them next to the connection, which stays', async () => {
    const r = await fleet(
      'retailcrm',
      'tasks',
      '--enterprise',
      '201',
      '--on',
      '--fallback-user',
      '19',
      '--due-minutes',
      '30',
    );
    expect(r).toEqual({
      code: 0,
      out: ['missed-call tasks for enterprise 201: on, fallback user 19, due in 30 min'],
      err: [],
    });
    expect(await section()).toMatchObject({
      enabled: true,
      domain: 'https://shop.retailcrm.ru',
      user_extensions: { '18': '151' },
      missed_call_tasks: { enabled: true, fallback_user_id: 19, due_minutes: 30 },
    });
    const show = await fleet('retailcrm', 'show', '--enterprise', '201');
    expect(show.out).toContain('  missed-call tasks:   on, fallback user 19, due in 30 min');
  });

  it('--off keeps the fallback user and the delay for the next --on', async () => {
    expect((await fleet('retailcrm', 'tasks', '--enterprise', '201', '--off')).out).toEqual([
      'missed-call tasks for enterprise 201: off, fallback user 19, due in 30 min',
    ]);
    expect((await section()).missed_call_tasks).toEqual({ enabled: false, fallback_user_id: 19, due_minutes: 30 });
    expect((await fleet('retailcrm', 'tasks', '--enterprise', '201', '--on')).code).toBe(0);
    expect((await section()).missed_call_tasks).toEqual({ enabled: true, fallback_user_id: 19, due_minutes: 30 });
  });

  it('bad input: a clear message, exit 2, nothing stored; an unknown enterprise exits 3', async () => {
    const before = await section();
    for (const [argv, message] of [
      [['--enterprise', '201'], 'give exactly one of --on and --off'],
      [['--enterprise', '201', '--on', '--off'], 'give exactly one of --on and --off'],
      [['--on'], '--enterprise is required'],
      [['--enterprise', '201', '--on', '--fallback-user', 'anna'], '--fallback-user must be a positive integer'],
      [['--enterprise', '201', '--on', '--fallback-user', '0'], '--fallback-user must be a positive integer'],
      [
        ['--enterprise', '201', '--on', '--due-minutes', '0'],
        '--due-minutes must be a whole number of minutes from 1 to 10080',
      ],
      [['--enterprise', '201', '--on', '--due-minutes', '1.5'], '--due-minutes must be a whole number'],
      [['--enterprise', '201', '--on', '--due-minutes', '10081'], '--due-minutes must be a whole number'],
    ] as const) {
      const r = await fleet('retailcrm', 'tasks', ...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err[0]).toContain(`fleet retailcrm tasks: ${message}`);
    }
    expect(await section()).toEqual(before);
    const missing = await fleet('retailcrm', 'tasks', '--enterprise', '999', '--on');
    expect(missing).toMatchObject({ code: 3, err: ['fleet retailcrm tasks: enterprise 999 not found'] });
  });
});
