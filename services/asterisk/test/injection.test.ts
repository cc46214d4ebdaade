// The injection corpus against both doors to a host — RetailCRM's /retailcrm/make-call and the
// loopback /api/makecallexternal: every entry is rejected with 400 and nothing runs on the host
// (PITFALLS.md: execCommand hands a string to the remote shell).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@fleet/db';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import { CLIENT_ID, createClickWorld, type ClickWorld } from './click-world.ts';
import { SECRET } from './fixtures.ts';

const enabled = sshdAvailable();

const BAD_PHONES: [string, string][] = [
  ['semicolon', '+375440000001; reboot'],
  ['command substitution', '375440000001$(reboot)'],
  ['backticks', '`id`375440000001'],
  ['double quote', '375440000001" ; id ; "'],
  ['single quote', "375440000001'"],
  ['newline', '375440000001\nreboot'],
  ['carriage return', '375440000001\r\nid'],
  ['NUL', '+375440000001\u0000'],
  ['fullwidth digits', '３７５４４００００００１'],
  ['arabic-indic digits', '٣٧٥٤٤٠٠٠٠٠٠١'],
  ['very long', '1'.repeat(5000)],
  ['16 digits', '+3754400000011234'],
  ['Local/ fragment', 'Local/151@inoffice'],
  ['context fragment', '375440000001@inoffice'],
  ['originate fragment', '375440000001 application System rm'],
  ['ampersand', '375440000001&reboot'],
  ['pipe', '375440000001|cat'],
  ['redirect', '375440000001>x'],
  ['hash', '375440000001#'],
  ['star', '*375440000001'],
  ['double plus', '++375440000001'],
  ['plus only', '+'],
  ['empty', ''],
  ['extension-like', '101'],
  ['letters', 'call me'],
];

const BAD_CODES: [string, string][] = [
  ['semicolon', '151;reboot'],
  ['command substitution', '151$(id)'],
  ['backticks', '`id`'],
  ['double quote', '151"'],
  ['newline', '151\n'],
  ['fullwidth digits', '１５１'],
  ['arabic-indic digits', '١٥١'],
  ['seven digits', '1234567'],
  ['very long', '1'.repeat(5000)],
  ['Local/ fragment', 'Local/151@web-originate'],
  ['context fragment', '151@web-originate'],
  ['space', '15 1'],
  ['trailing space', '151 '],
  ['minus', '-151'],
  ['one digit', '1'],
];

describe.runIf(enabled)('injection corpus: 400, nothing executed on the host', () => {
  let db: TestDatabase;
  let host: TestHost;
  let w: ClickWorld;
  beforeAll(async () => {
    db = await createTestDatabase();
    host = await startTestHost();
    w = await createClickWorld(db.url, host);
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
    await db?.drop();
    // Checked last, after every request of the file: the host never ran anything.
  });

  const form = (q: Record<string, string>) => new URLSearchParams(q).toString();
  const doors = [
    {
      name: 'make-call GET',
      send: (q: Record<string, string>) =>
        w.retailcrm.inject({
          method: 'GET',
          url: `/retailcrm/make-call?${form({ clientId: CLIENT_ID, userId: '18', ...q })}`,
        }),
    },
    {
      name: 'make-call POST',
      send: (q: Record<string, string>) =>
        w.retailcrm.inject({
          method: 'POST',
          url: '/retailcrm/make-call',
          payload: form({ clientId: CLIENT_ID, userId: '18', ...q }),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
    },
    {
      name: 'makecallexternal GET',
      send: (q: Record<string, string>) =>
        w.asterisk.inject({ method: 'GET', url: `/api/makecallexternal?${form({ clientId: SECRET, ...q })}` }),
    },
    {
      name: 'makecallexternal POST',
      send: (q: Record<string, string>) =>
        w.asterisk.inject({
          method: 'POST',
          url: '/api/makecallexternal',
          payload: form({ clientId: SECRET, ...q }),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
    },
  ];

  for (const door of doors) {
    describe(door.name, () => {
      it.each(BAD_PHONES)('phone: %s', async (_label, phone) => {
        const res = await door.send({ code: '151', phone });
        expect(res.statusCode).toBe(400);
        // make-call answers RetailCRM in the manager's words (issue 15.3); the asterisk service in ours.
        expect(res.json().message).toMatch(
          door.name.startsWith('make-call') ? /номер клиента|phone contains/ : /phone/,
        );
      });
      it.each(BAD_CODES)('code: %s', async (_label, code) => {
        const res = await door.send({ code, phone: '+375440000001' });
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toMatch(door.name.startsWith('make-call') ? /внутренний номер/ : /extension/);
      });
    });
  }

  it('make-call: a userId that is not a number → 400; an unmapped user without code → 400 naming the user', async () => {
    const bad = await doors[0]!.send({ userId: '18;reboot', code: '', phone: '+375440000001' });
    expect(bad.statusCode).toBe(400);
    const unmapped = await doors[0]!.send({ userId: '77', code: '', phone: '+375440000001' });
    expect(unmapped.statusCode).toBe(400);
    expect(unmapped.json().message).toBe(
      'Не удалось начать звонок: у пользователя 77 не указан внутренний номер, обратитесь к администратору',
    );
  });

  it('make-call: the enterprise number is no credential (401 without the clientId)', async () => {
    const res = await w.retailcrm.inject({
      method: 'GET',
      url: `/retailcrm/make-call?${form({ clientId: '367', userId: '18', code: '151', phone: '+375440000001' })}`,
    });
    expect(res.statusCode).toBe(401);
  });

  it('…and after the whole corpus the host has run nothing at all', async () => {
    expect(await host.calls()).toEqual([]);
    expect((await w.sql`select count(*)::int as n from originates`)[0]!.n).toBe(0);
  });
});
