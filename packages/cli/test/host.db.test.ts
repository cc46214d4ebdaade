// fleet host set / check against a real sshd (the asterisk service's test host): the host key is
// pinned from --host-key or from a confirmed first connect; check runs core show version through it,
// and refuses a host whose key changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { startTestHost, sshdAvailable, type TestHost } from '../../../services/asterisk/test/sshd.ts';
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
  const base = () => ['--enterprise', '367', '--host', '127.0.0.1', '--port', String(host.port), '--user', 'root', '--key-file', host.userKeyFile];

  it('first connect shows the fingerprint and stores nothing without --yes', async () => {
    const r = await fleet('host', 'set', ...base());
    expect(r.code).toBe(2);
    expect(r.out.join('\n')).toMatch(/presents ssh-ed25519 SHA256:/);
    expect(await sql`select 1 from asterisk_hosts`).toHaveLength(0);
  });

  it('--yes pins the presented key and generates the originate secret; check runs core show version', async () => {
    const r = await fleet('host', 'set', ...base(), '--yes');
    expect(r).toMatchObject({ code: 0, err: [] });
    const [row] = await sql`select host_key, originate_secret, asterisk_path from asterisk_hosts where enterprise = '367'`;
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
    const r = await fleet('host', 'set', ...base(), '--host-key', `[127.0.0.1]:${host.port} ${host.otherHostKey}`, '--asterisk-path', host.binary);
    expect(r.code).toBe(0);
    expect((await sql`select originate_secret from asterisk_hosts`)[0]!.originate_secret).toBe(before); // the secret is kept
    const c = await fleet('host', 'check', '--enterprise', '367');
    expect(c.code).toBe(1);
    expect(c.err.join('\n')).toMatch(/host key mismatch .*expected SHA256:.*presented SHA256:.*refusing to connect/);
  });

  it('usage errors: bad host key, bad path; unknown enterprise → 3', async () => {
    expect((await fleet('host', 'set', ...base(), '--host-key', 'not a key')).code).toBe(2);
    expect((await fleet('host', 'set', ...base(), '--yes', '--asterisk-path', 'asterisk; reboot')).code).toBe(2);
    expect((await fleet('host', 'check', '--enterprise', '999')).code).toBe(3);
  });
});
