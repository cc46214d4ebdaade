// fleet retailcrm set/map/unmap/show against a real PostgreSQL. The regression these guard: the
// predecessor wiped the manager↔extension map when connection settings were saved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { decryptSecret, isEncrypted, resolveSecrets } from '@fleet/secrets';
import { fleetOn } from './fleet-harness.ts';

const plainKey = (stored: unknown) =>
  decryptSecret(resolveSecrets({ NODE_ENV: 'test' }).secretsKey, String(stored), '201');

let db: TestDatabase;
let sql: Sql;
let fleet: ReturnType<typeof fleetOn>;

const retailcrm = async (n = '201') =>
  (
    await sql<
      { c: Record<string, unknown> }[]
    >`select integrations_config->'retailcrm' as c from enterprises where number = ${n}`
  )[0]!.c;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  fleet = fleetOn(sql);
  await sql`
    insert into enterprises (number, name, host_token, integrations_config)
    values ('201', 'Shop', '375291110201', '{"telegram":{"enabled":true,"chat":"-100"}}'),
           ('202', 'Other', '375291110202', '{}')`;
});

afterAll(async () => {
  await sql.end();
  await db.drop();
});

describe('fleet retailcrm', () => {
  it('set writes the settings, enables, generates a client id, keeps other integrations', async () => {
    const r = await fleet(
      'retailcrm',
      'set',
      '--enterprise',
      '201',
      '--domain',
      'https://shop.retailcrm.ru/',
      '--api-key',
      'KEY-aaaaaaaaaaaaaaaa1234',
    );
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out.join('\n')).not.toContain('KEY-aaaa');
    const c = await retailcrm();
    expect(c).toMatchObject({ enabled: true, domain: 'https://shop.retailcrm.ru' });
    // Encrypted at rest (issue 5); the plain key is nowhere in the row.
    expect(isEncrypted(String(c.api_key))).toBe(true);
    expect(JSON.stringify(c)).not.toContain('KEY-aaaa');
    expect(plainKey(c.api_key)).toBe('KEY-aaaaaaaaaaaaaaaa1234');
    expect(c.client_id).toMatch(/^[0-9a-f]{32}$/);
    expect(r.out.join('\n')).toContain('(generated)');
    const [row] = await sql`select integrations_config->'telegram' as t from enterprises where number = '201'`;
    expect(row!.t).toEqual({ enabled: true, chat: '-100' });
  });

  it('map gives a user an extension; moving an extension takes it from the other user and says so', async () => {
    expect((await fleet('retailcrm', 'map', '--enterprise', '201', '--user', '18', '--extension', '151')).code).toBe(0);
    expect((await fleet('retailcrm', 'map', '--enterprise', '201', '--user', '19', '--extension', '152')).code).toBe(0);
    const moved = await fleet('retailcrm', 'map', '--enterprise', '201', '--user', '20', '--extension', '151');
    expect(moved.code).toBe(0);
    expect(moved.out).toEqual(['extension 151 removed from user 18', 'user 20 → extension 151 (enterprise 201)']);
    expect((await retailcrm()).user_extensions).toEqual({ '19': '152', '20': '151' });
  });

  it('set again keeps user_extensions and client_id; --disabled turns it off; template is stored', async () => {
    const before = await retailcrm();
    const r = await fleet(
      'retailcrm',
      'set',
      '--enterprise',
      '201',
      '--domain',
      'https://crm.shop.by',
      '--api-key',
      'KEY-bbbbbbbbbbbbbbbb5678',
      '--disabled',
      '--record-url-template',
      'https://rec.shop.by/{uniqueId}.mp3',
    );
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).not.toContain('(generated)');
    const after = await retailcrm();
    expect(plainKey(after.api_key)).toBe('KEY-bbbbbbbbbbbbbbbb5678');
    expect(after).toEqual({
      enabled: false,
      domain: 'https://crm.shop.by',
      api_key: after.api_key,
      client_id: before.client_id,
      record_url_template: 'https://rec.shop.by/{uniqueId}.mp3',
      user_extensions: { '19': '152', '20': '151' },
    });
  });

  it('unmap removes one user; unmapping again is a no-op with exit 0', async () => {
    const r = await fleet('retailcrm', 'unmap', '--enterprise', '201', '--user', '19');
    expect(r).toMatchObject({ code: 0, out: ['user 19 unmapped (was extension 152)'] });
    expect((await retailcrm()).user_extensions).toEqual({ '20': '151' });
    const again = await fleet('retailcrm', 'unmap', '--enterprise', '201', '--user', '19');
    expect(again).toMatchObject({ code: 0, out: ['user 19 had no extension: nothing to do'] });
  });

  it('show prints the settings with the key and client id masked', async () => {
    const r = await fleet('retailcrm', 'show', '--enterprise', '201');
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toContain('domain:              https://crm.shop.by');
    expect(text).toContain('api key:             ****5678');
    expect(text).toContain('enabled:             no');
    expect(text).not.toContain('KEY-bbbb');
    expect(text).not.toContain(String((await retailcrm()).client_id));
    expect(r.out.slice(-2)).toEqual(['    USER  EXTENSION', '    20    151']);
  });

  it('map before set works and set afterwards keeps the map', async () => {
    expect((await fleet('retailcrm', 'map', '--enterprise', '202', '--user', '7', '--extension', '150')).code).toBe(0);
    expect(
      (await fleet('retailcrm', 'set', '--enterprise', '202', '--domain', 'http://127.0.0.1:8040', '--api-key', 'k'))
        .code,
    ).toBe(0);
    expect(await retailcrm('202')).toMatchObject({
      enabled: true,
      domain: 'http://127.0.0.1:8040',
      user_extensions: { '7': '150' },
    });
  });

  it('an unknown enterprise is exit 3 for every retailcrm command', async () => {
    for (const argv of [
      ['set', '--enterprise', '999', '--domain', 'https://x.retailcrm.ru', '--api-key', 'k'],
      ['map', '--enterprise', '999', '--user', '1', '--extension', '150'],
      ['unmap', '--enterprise', '999', '--user', '1'],
      ['show', '--enterprise', '999'],
    ]) {
      const r = await fleet('retailcrm', ...argv);
      expect(r.code, argv[0]).toBe(3);
      expect(r.err).toEqual([`fleet retailcrm ${argv[0]}: enterprise 999 not found`]);
    }
  });

  it('concurrent maps of one extension leave it with exactly one user', async () => {
    await Promise.all(
      ['31', '32', '33', '34'].map((u) =>
        fleet('retailcrm', 'map', '--enterprise', '202', '--user', u, '--extension', '160'),
      ),
    );
    const map = (await retailcrm('202')).user_extensions as Record<string, string>;
    expect(Object.values(map).filter((e) => e === '160')).toHaveLength(1);
    expect(map['7']).toBe('150');
  });
});
