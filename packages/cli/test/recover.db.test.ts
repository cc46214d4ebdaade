// fleet recover against a real sshd serving a real post log: prints the run's counts, ingests the
// failed posts once (a second run finds only duplicates), and maps refusals and failures to exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { recoveryDates } from '@fleet/host-recovery';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import { writePostLog } from '../../../test/support/post-log.ts';
import { fleetOn } from './fleet-harness.ts';

const enabled = sshdAvailable();
const TOKEN = '375291110367';

describe.runIf(enabled)('fleet recover', () => {
  let db: TestDatabase;
  let sql: Sql;
  let host: TestHost;
  let fleet: ReturnType<typeof fleetOn>;
  const [, today] = recoveryDates(Date.now(), 'Europe/Minsk') as [string, string];
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = createSql(db.url, { max: 4 });
    fleet = fleetOn(sql);
    host = await startTestHost();
    await sql`insert into enterprises (number, name, host_token) values ('367', 'Acme', ${TOKEN})`;
    await sql`insert into asterisk_hosts (enterprise, host, port, username, key_file, host_key, originate_secret, log_dir)
              values ('367', '127.0.0.1', ${host.port}, ${host.user}, ${host.userKeyFile}, ${host.hostKey}, ${'ab'.repeat(16)}, ${join(host.dir, 'log')})`;
    const body = (uid: string) => ({
      Token: TOKEN,
      UniqueId: uid,
      Phone: '375440000001',
      CallType: 0,
      Trunk: '0001363',
    });
    await writePostLog(join(host.dir, 'log'), today, [
      { event: 'start', body: body('1757000100.1'), dateTime: `${today} 09:00:00`, ok: false },
      { event: 'start', body: body('1757000100.2'), dateTime: `${today} 09:00:01`, ok: true },
      { event: 'start', body: body('1757000100.3'), dateTime: `${today} 09:00:02`, ok: false },
    ]);
  });
  afterAll(async () => {
    await host?.dispose();
    await sql?.end();
    await db?.drop();
  });

  it('recovers one date, prints the counts; a second run finds only duplicates', async () => {
    const r = await fleet('recover', '--enterprise', '367', '--date', today);
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out.join('\n')).toMatch(
      new RegExp(`recovery run \\d+ of enterprise 367 on ${host.user}@127.0.0.1:${host.port}: ok`),
    );
    expect(r.out.join('\n')).toContain('3 posts, 2 failed');
    expect(r.out.at(-1)).toBe('  found 2, ingested 2, duplicates 0, invalid 0, errors 0');
    const again = await fleet('recover', '--enterprise', '367', '--date', today);
    expect(again.out.at(-1)).toBe('  found 2, ingested 0, duplicates 2, invalid 0, errors 0');
    expect(await sql`select unique_id, origin from call_events order by id`).toEqual([
      { unique_id: '1757000100.1', origin: 'recovered' },
      { unique_id: '1757000100.3', origin: 'recovered' },
    ]);
  });

  it('a missing file is a failure (exit 1) that still prints what happened', async () => {
    const r = await fleet('recover', '--enterprise', '367', '--date', '2020-02-29');
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toContain('AST_RECOVERY_FILE_MISSING');
    expect(r.err.join('\n')).toContain('recovery failed');
  });

  it('usage errors exit 2, an unknown enterprise 3, an inactive one 4', async () => {
    expect((await fleet('recover', '--enterprise', '367', '--date', '2025-02-30')).code).toBe(2);
    expect((await fleet('recover', '--date', today)).code).toBe(2);
    expect((await fleet('recover', '--enterprise', '999')).code).toBe(3);
    await sql`update enterprises set active = false`;
    expect((await fleet('recover', '--enterprise', '367')).code).toBe(4);
    await sql`update enterprises set active = true`;
  });
});
