// End to end, issue 7 §7: a host whose posts failed half way through a call (call-intake unreachable)
// → `fleet recover` reads the host's real SQLite post log over SSH (a real sshd on loopback) → the
// failed posts go through call-intake's processor, the gateway and the retailcrm service like live
// ones → the RetailCRM fake gets exactly one hangup and one history record, and the deliveries say
// origin 'recovered'. A post the host logged as failed that did reach us (timeout after the commit)
// is a duplicate, not a second event. De-risks: the live and recovered paths agreeing on keys, order
// and timing; nothing doubled by a second run.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runFleet } from '@fleet/cli';
import { startTestHost, sshdAvailable, type TestHost } from '../support/sshd.ts';
import { writePostLog } from '../support/post-log.ts';
import { addConnectedEnterprise, loadEvents, replay, startFleet, waitFor, type Fleet } from './harness.ts';

const enabled = sshdAvailable();
const TOKEN = '375291110777';
const CALL = '1757000777.60';

let f: Fleet;
let host: TestHost;

/** Host-local wall clock (Europe/Minsk) `s` seconds from now, as the hosts log it. */
const hostTime = (s: number) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Minsk', dateStyle: 'short', timeStyle: 'medium' }).format(
    Date.now() + s * 1000,
  );

describe.runIf(enabled)('recovery end to end', () => {
  beforeAll(async () => {
    f = await startFleet();
    host = await startTestHost();
    await addConnectedEnterprise(f, '367', TOKEN);
    await f.sql`insert into asterisk_hosts (enterprise, host, port, username, key_file, host_key, originate_secret, log_dir)
                values ('367', '127.0.0.1', ${host.port}, ${host.user}, ${host.userKeyFile}, ${host.hostKey}, ${'cd'.repeat(16)}, ${join(host.dir, 'log')})`;
  }, 120_000);
  afterAll(async () => {
    await host?.dispose();
    await f?.stop();
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(f.logs.slice(-80).join('\n'));
  });

  it('re-delivers the failed half of a call to the CRM once, marked recovered', async () => {
    const events = loadEvents('2-1').map((e) => ({
      ...e,
      body: JSON.parse(
        JSON.stringify(e.body)
          .replaceAll('ENTERPRISE_TOKEN', TOKEN)
          .replaceAll('1757772742', '1757000777')
          .replaceAll('2be3a503', '0000e2e7'),
      ),
    }));
    // Live: start, new_callerid and dial reached call-intake; the host logged the dial as failed anyway
    // (its 3 s timeout fired after our commit). Everything after it failed.
    await replay(f, events.slice(0, 3), TOKEN);
    const date = hostTime(0).slice(0, 10);
    await writePostLog(
      join(host.dir, 'log'),
      date,
      events.map((e, i) => ({ event: e.event, body: e.body, dateTime: hostTime(i), ok: i < 2 })),
    );

    const out: string[] = [];
    const io = {
      out: (l: string) => out.push(l),
      err: (l: string) => out.push(l),
      env: process.env,
      connect: async () => ({ sql: f.sql, close: async () => {} }),
    };
    expect(await runFleet(['recover', '--enterprise', '367', '--date', date], io)).toBe(0);
    expect(out.at(-1)).toBe(
      `  found ${events.length - 2}, ingested ${events.length - 3}, duplicates 1, invalid 0, errors 0`,
    );

    const uploads = () => f.crm.state.uploads.filter((u) => u.call.externalId === CALL);
    const hangups = () =>
      f.crm.state.events.filter((e) => e.event.callExternalId === CALL && e.event.type === 'hangup');
    await waitFor('the recovered call at the CRM', () => uploads().length === 1 && hangups().length === 1);
    expect(uploads()[0]!.call).toMatchObject({ result: 'answered' });
    const deliveries = await f.sql<{ event_type: string; origin: string }[]>`
      select event_type, payload->>'origin' as origin from intake_outbox where call_id = ${CALL} order by id`;
    expect(deliveries).toEqual([
      { event_type: 'dial', origin: 'live' },
      { event_type: 'hangup', origin: 'recovered' },
    ]);

    // A second run (the schedule, another operator) finds only duplicates and changes nothing at the CRM.
    out.length = 0;
    expect(await runFleet(['recover', '--enterprise', '367', '--date', date], io)).toBe(0);
    expect(out.at(-1)).toBe(
      `  found ${events.length - 2}, ingested 0, duplicates ${events.length - 2}, invalid 0, errors 0`,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(uploads()).toHaveLength(1);
    expect(hangups()).toHaveLength(1);
    const [runs] =
      await f.sql`select count(*)::int as n, sum(rows_ingested)::int as ingested from recovery_runs where enterprise = '367'`;
    expect(runs).toEqual({ n: 2, ingested: events.length - 3 });
  });
});
