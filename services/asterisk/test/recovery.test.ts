// Recovery of the posts a host failed to deliver, against a real sshd serving real SQLite post logs
// over SFTP: failed posts are re-ingested once, in the host's order, with the host's time and origin
// 'recovered'; successful posts and posts already stored are left alone; a second run stores nothing;
// a missing, corrupt or busy log and a host with another key are per-run errors, recorded for operators.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventIdempotencyKey } from '@fleet/asterisk-events';
import { hostTimeToUtc, recoveryDates, RecoveryRefused } from '@fleet/host-recovery';
import { createWorld, ENTERPRISE, hostRow, insertHost, SECRET, type World } from './fixtures.ts';
import { writePostLog, type LoggedPost } from '../../../test/support/post-log.ts';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';

const enabled = sshdAvailable();
const TOKEN = 'host-token-367'; // fixtures.ts
const ZONE = 'Europe/Minsk';

const scenario = (prefix: string): { event: string; body: Record<string, unknown> }[] => {
  const dir = new URL('../../../../shared/fixtures/asterisk-scenarios/', import.meta.url);
  const index = JSON.parse(readFileSync(new URL('_index.json', dir), 'utf8')) as { code: string; file: string }[];
  return JSON.parse(readFileSync(new URL(index.find((e) => e.code === prefix)!.file, dir), 'utf8'));
};
/** Scenario 2-1 (incoming, answered) as the host posted it, with `uid` in place of its UniqueIds. */
const call = (uid: string) =>
  scenario('2-1').map((e) => ({
    event: e.event,
    body: JSON.parse(
      JSON.stringify(e.body).replaceAll('ENTERPRISE_TOKEN', TOKEN).replaceAll('1757772742', uid),
    ) as Record<string, unknown>,
  }));
const at = (date: string, i: number) => `${date} 17:12:${String(10 + i).padStart(2, '0')}`;

describe.runIf(enabled)('recovery of failed host posts', () => {
  let host: TestHost;
  let w: World;
  let logDir: string;
  const [yesterday, today] = recoveryDates(Date.now(), ZONE) as [string, string];
  const events = async () =>
    w.sql<{ event_type: string; unique_id: string; received_at: Date; origin: string; idempotency_key: string }[]>`
      select event_type, unique_id, received_at, origin, idempotency_key from call_events order by id`;

  beforeAll(async () => {
    host = await startTestHost();
    w = await createWorld(host, { RECOVERY_INTERVAL_MS: '0' });
    logDir = join(host.dir, 'log', 'asterisk');
  });
  afterAll(async () => {
    await w?.close();
    await host?.dispose();
  });
  beforeEach(async () => {
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host));
    await w.sql`update asterisk_hosts set log_dir = ${logDir}`;
    await w.sql`delete from call_events`;
    await w.sql`delete from recovery_runs`;
    await rm(logDir, { recursive: true, force: true });
  });

  it('re-ingests the failed posts of yesterday and today once, in order, with the host time; skips the delivered ones', async () => {
    // Yesterday: call A — the intake was down after its start (delivered) until the end.
    const a = call('1757000001');
    await writePostLog(
      logDir,
      yesterday,
      a.map((e, i) => ({ ...e, dateTime: at(yesterday, i), ok: i === 0 })),
    );
    // Today: call B — every second post failed; plus garbage a host can log.
    const b = call('1757000002');
    const todayPosts: LoggedPost[] = [
      ...b.map((e, i) => ({ ...e, dateTime: at(today, i), ok: i % 2 === 1 })),
      { event: 'dial', body: '{"Token": "' + TOKEN + '", "UniqueId": ', dateTime: at(today, 30), ok: false },
      { event: 'dial', body: { ...b[2]!.body, Token: 'another-tenant' }, dateTime: at(today, 31), ok: false },
      { event: 'ping', body: { Token: TOKEN }, dateTime: at(today, 32), ok: false },
    ];
    await writePostLog(logDir, today, todayPosts);
    // The start of call A did reach call-intake: stored under the live path's key.
    await w.sql`insert into call_events (enterprise, event_type, unique_id, idempotency_key, body)
                values (${ENTERPRISE}, 'start', '1757000001.60', ${eventIdempotencyKey('start', a[0]!.body)}, ${w.sql.json(a[0]!.body as never)})`;

    const s = await w.app.recovery.run(ENTERPRISE);

    const failedB = b.filter((_, i) => i % 2 === 0);
    expect(s).toMatchObject({
      status: 'partial', // the three garbage rows are reported
      rowsFound: a.length - 1 + failedB.length + 3,
      rowsIngested: a.length - 1 + failedB.length,
      duplicates: 0,
      rowsInvalid: 3,
    });
    expect(s.files.map((f) => [f.date, f.posts, f.failedPosts, f.error])).toEqual([
      [yesterday, a.length, a.length - 1, null],
      [today, b.length + 3, failedB.length + 3, null],
    ]);
    expect(s.errors.map((e) => e.message.replace(/^row \d+: /, ''))).toEqual([
      'request is not JSON',
      'token of another enterprise',
      'unknown event "ping"',
    ]);

    const stored = await events();
    expect(stored.map((e) => [e.event_type, e.origin])).toEqual([
      ['start', 'live'],
      ...a.slice(1).map((e) => [e.event, 'recovered']),
      ...failedB.map((e) => [e.event, 'recovered']),
    ]);
    // Exactly the live path's keys, and the host's wall clock read in the enterprise's zone.
    expect(stored[1]!.idempotency_key).toBe(eventIdempotencyKey(a[1]!.event as 'new_callerid', a[1]!.body));
    expect(stored[1]!.received_at.getTime()).toBe(hostTimeToUtc(at(yesterday, 1), ZONE));
    expect(stored[1]!.received_at.toISOString()).toBe(`${yesterday}T14:12:11.000Z`); // Minsk is UTC+3

    const [run] = await w.sql`select * from recovery_runs`;
    expect(run).toMatchObject({
      enterprise: ENTERPRISE,
      host: `${host.user}@127.0.0.1:${host.port}`,
      trigger: 'cli',
      status: 'partial',
      rows_found: s.rowsFound,
      rows_ingested: s.rowsIngested,
      duplicates: 0,
      rows_invalid: 3,
    });
    expect(run!.finished_at).not.toBeNull();

    const again = await w.app.recovery.run(ENTERPRISE);
    expect(again).toMatchObject({ rowsFound: s.rowsFound, rowsIngested: 0, duplicates: s.rowsIngested });
    expect(await events()).toHaveLength(stored.length);
  });

  it('a missing log is an error of that file; the other is still read', async () => {
    await writePostLog(
      logDir,
      today,
      call('1757000003').map((e, i) => ({ ...e, dateTime: at(today, i), ok: false })),
    );
    const s = await w.app.recovery.run(ENTERPRISE);
    expect(s.status).toBe('partial');
    expect(s.files[0]!.error).toMatchObject({ code: 'AST_RECOVERY_FILE_MISSING' });
    expect(s.files[1]!.error).toBeNull();
    expect(s.rowsIngested).toBe(call('x').length);
  });

  it('a corrupt log and one being written are refused with their reason, and nothing of them is stored', async () => {
    await writePostLog(logDir, yesterday, []);
    await writeFile(join(logDir, `Listen_AMI_${yesterday}.db`), 'SQLite format 3\0 but then garbage '.repeat(200));
    await writePostLog(
      logDir,
      today,
      call('1757000004').map((e, i) => ({ ...e, dateTime: at(today, i), ok: false })),
    );
    await writeFile(join(logDir, `Listen_AMI_${today}.db-journal`), 'hot journal');
    const s = await w.app.recovery.run(ENTERPRISE);
    expect(s.status).toBe('failed');
    expect(s.files.map((f) => f.error?.code)).toEqual(['AST_RECOVERY_FILE_CORRUPT', 'AST_RECOVERY_FILE_BUSY']);
    expect(await events()).toEqual([]);
    const [run] = await w.sql`select status, errors from recovery_runs`;
    expect(run!.status).toBe('failed');
    expect(run!.errors.map((e: { code: string }) => e.code)).toEqual([
      'AST_RECOVERY_FILE_CORRUPT',
      'AST_RECOVERY_FILE_BUSY',
    ]);
  });

  it('a host presenting another key is refused: no file is read, the run says why', async () => {
    await writePostLog(
      logDir,
      today,
      call('1757000005').map((e, i) => ({ ...e, dateTime: at(today, i), ok: false })),
    );
    await w.sql`update asterisk_hosts set host_key = ${host.otherHostKey}`;
    const s = await w.app.recovery.run(ENTERPRISE);
    expect(s).toMatchObject({ status: 'failed', files: [], rowsFound: 0 });
    expect(s.errors[0]).toMatchObject({ code: 'AST_HOST_KEY_MISMATCH' });
    expect(s.errors[0]!.message).toMatch(/expected SHA256:.*presented SHA256:.*refusing/);
    expect(await events()).toEqual([]);
  });

  it('two runs of one enterprise at once: the second is refused while the first holds the lock', async () => {
    await writePostLog(
      logDir,
      today,
      call('1757000006').map((e, i) => ({ ...e, dateTime: at(today, i), ok: false })),
    );
    const results = await Promise.allSettled([w.app.recovery.run(ENTERPRISE), w.app.recovery.run(ENTERPRISE)]);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(RecoveryRefused);
    expect(refused[0].reason).toBe('locked');
    expect(await events()).toHaveLength(call('x').length);
  });

  it('an unknown enterprise or one without a host is refused before any connection', async () => {
    await expect(w.app.recovery.run('999')).rejects.toMatchObject({ reason: 'not-found' });
    await w.sql`delete from asterisk_hosts`;
    await expect(w.app.recovery.run(ENTERPRISE)).rejects.toMatchObject({ reason: 'no-host' });
  });
});
