// fleet host set / check against a real sshd (the asterisk service's test host): the host key is
// pinned from --host-key or from a confirmed first connect (--yes prints what it pins; --fingerprint
// binds the confirmation to the key the operator checked); a re-run changes only what it is given
// (nextcall included); check runs core show version through it, and refuses a host whose key changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import { fingerprint } from '@fleet/asterisk-host';
import { fleetOn } from './fleet-harness.ts';

const enabled = sshdAvailable();

describe.runIf(enabled)('fleet host', () => {
  let db: TestDatabase;
  let sql: Sql;
  let host: TestHost;
  let fleet: ReturnType<typeof fleetOn>;
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = createSql(db.url, { max: 2 });
    fleet = fleetOn(sql);
    host = await startTestHost();
    await sql`insert into enterprises (number, name, host_token) values ('367', 'Acme', '375291110367')`;
  });
  afterAll(async () => {
    await host?.dispose();
    await sql?.end();
    await db?.drop();
  });
  const base = () => [
    '--enterprise',
    '367',
    '--host',
    '127.0.0.1',
    '--port',
    String(host.port),
    '--user',
    host.user,
    '--key-file',
    host.userKeyFile,
  ];

  it('first connect shows the fingerprint and stores nothing without --yes', async () => {
    const r = await fleet('host', 'set', ...base());
    expect(r.code).toBe(2);
    expect(r.out.join('\n')).toMatch(/presents ssh-ed25519 SHA256:/);
    expect(await sql`select 1 from asterisk_hosts`).toHaveLength(0);
  });

  it('--yes pins the presented key, printing the fingerprint it pins, and generates the originate secret; check runs core show version', async () => {
    const r = await fleet('host', 'set', ...base(), '--yes');
    expect(r).toMatchObject({ code: 0, err: [] });
    const fp = fingerprint(host.hostKey.split(' ')[1]!);
    expect(r.out).toContain(
      `pinning ssh-ed25519 ${fp} (--yes: the key this connect saw; --fingerprint would bind it to the one you checked)`,
    );
    expect(r.out.at(-1)).toContain(`host key ssh-ed25519 ${fp} pinned, nextcall off`);
    const [row] =
      await sql`select host_key, originate_secret, asterisk_path from asterisk_hosts where enterprise = '367'`;
    expect(row!.host_key).toBe(host.hostKey);
    expect(row!.originate_secret).toMatch(/^[0-9a-f]{48}$/);
    expect(r.out.join('\n')).not.toContain(row!.originate_secret);
    const c = await fleet('host', 'check', '--enterprise', '367');
    expect(c.code).toBe(0);
    expect(c.out.join('\n')).toContain('Asterisk 22.10.1');
    expect((await host.calls()).at(-1)).toEqual(['-rx', 'core show version']);
  });

  it('--host-key pins the given key; a host presenting another key fails the check with both fingerprints', async () => {
    const before = (await sql`select originate_secret from asterisk_hosts`)[0]!.originate_secret;
    const r = await fleet(
      'host',
      'set',
      ...base(),
      '--host-key',
      `[127.0.0.1]:${host.port} ${host.otherHostKey}`,
      '--asterisk-path',
      host.binary,
    );
    expect(r.code).toBe(0);
    expect((await sql`select originate_secret from asterisk_hosts`)[0]!.originate_secret).toBe(before); // the secret is kept
    const c = await fleet('host', 'check', '--enterprise', '367');
    expect(c.code).toBe(1);
    expect(c.err.join('\n')).toMatch(/host key mismatch .*expected SHA256:.*presented SHA256:.*refusing to connect/);
  });

  it('--fingerprint pins only the key the operator checked: another one presented → exit 1, nothing stored', async () => {
    const fp = fingerprint(host.hostKey.split(' ')[1]!);
    const pinned = async () => (await sql`select host_key from asterisk_hosts where enterprise = '367'`)[0]!.host_key;
    const before = await pinned(); // the other key, from the test above
    const wrong = await fleet('host', 'set', ...base(), '--fingerprint', `SHA256:${'A'.repeat(43)}`);
    expect(wrong.code).toBe(1);
    expect(wrong.err.join('\n')).toContain(
      `now presents ${fp}, not the SHA256:${'A'.repeat(43)} you confirmed: nothing stored`,
    );
    expect(await pinned()).toBe(before);
    const right = await fleet('host', 'set', ...base(), '--fingerprint', fp);
    expect(right.code).toBe(0);
    expect(right.out).toContain(`pinning ssh-ed25519 ${fp} (matches --fingerprint)`);
    expect(await pinned()).toBe(host.hostKey);
    expect((await fleet('host', 'set', ...base(), '--fingerprint', 'md5:aa')).code).toBe(2);
    expect((await fleet('host', 'set', ...base(), '--fingerprint', fp, '--host-key', host.hostKey)).code).toBe(2);
  });

  it('a re-run keeps what it is not given: nextcall stays on without --nextcall, --no-nextcall turns it off; contexts and path stay', async () => {
    const row = async () =>
      (
        await sql`select set_nextcall, originate_context, asterisk_path from asterisk_hosts where enterprise = '367'`
      )[0];
    const set = (...extra: string[]) => fleet('host', 'set', ...base(), '--host-key', host.hostKey, ...extra);
    const on = await set('--nextcall', '--originate-context', 'click-out');
    expect(on.code).toBe(0);
    expect(on.out.at(-1)).toContain('nextcall on');
    expect(await row()).toEqual({ set_nextcall: true, originate_context: 'click-out', asterisk_path: host.binary });
    const again = await set(); // e.g. only the key file or the host changed
    expect(again.code).toBe(0);
    expect(again.out.at(-1)).toContain('nextcall on');
    expect(await row()).toEqual({ set_nextcall: true, originate_context: 'click-out', asterisk_path: host.binary });
    expect((await set('--no-nextcall')).code).toBe(0);
    expect(await row()).toMatchObject({ set_nextcall: false, originate_context: 'click-out' });
    expect((await set('--nextcall', '--no-nextcall')).code).toBe(2);
  });

  it('usage errors: bad host key, bad path; unknown enterprise → 3', async () => {
    expect((await fleet('host', 'set', ...base(), '--host-key', 'not a key')).code).toBe(2);
    expect((await fleet('host', 'set', ...base(), '--yes', '--asterisk-path', 'asterisk; reboot')).code).toBe(2);
    expect((await fleet('host', 'check', '--enterprise', '999')).code).toBe(3);
  });
});
