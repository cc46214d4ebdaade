// Issue 15.3: what RetailCRM receives when a click fails, for every way a host fails, through the real
// chain (RetailCRM fake → retailcrm's make-call → the asterisk service → the real sshd). RetailCRM
// keeps the answer on its servers and shows it in its UI: a code and a plain Russian reason for the
// manager, never the host's user, address, port, paths or key material. The full detail is in the
// integration journal (the admin page shows it).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@fleet/db';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import { createClickWorld, type ClickWorld } from './click-world.ts';
import { hostRow, insertHost, SECRET, type HostRow } from './fixtures.ts';

const enabled = sshdAvailable();

describe.runIf(enabled)(
  "failed clicks: RetailCRM hears a code and the manager's reason, nothing about the host",
  () => {
    let db: TestDatabase;
    let host: TestHost;
    let w: ClickWorld;
    /** Everything about the host that must not travel to RetailCRM. */
    const leaks = () => [
      '127.0.0.1',
      String(host.port),
      host.user,
      host.dir,
      '/tmp',
      '/opt',
      '/var/run',
      'SHA256',
      'ssh-ed25519',
      'asterisk.ctl',
      '@',
    ];

    beforeAll(async () => {
      db = await createTestDatabase();
      host = await startTestHost();
      // A breaker that never opens here: each case shows its own failure, not "circuit open".
      w = await createClickWorld(db.url, host, {
        asteriskEnv: {
          ASTERISK_BREAKER_VOLUME: '1000',
          ASTERISK_COMMAND_TIMEOUT_MS: '1500',
          ASTERISK_CONNECT_TIMEOUT_MS: '1500',
        },
        retailcrmEnv: { MAKE_CALL_TIMEOUT_MS: '3000' },
      });
    });
    afterAll(async () => {
      await w?.close();
      await host?.dispose();
      await db?.drop();
    });
    beforeEach(async () => {
      await host.behave({});
      await insertHost(w.sql, '367', SECRET, hostRow(host));
    });

    const samples: string[] = [];
    afterAll(() => {
      if (samples.length) process.stdout.write(`\nwhat RetailCRM receives per failure:\n${samples.join('\n')}\n`);
    });

    const cases: Array<
      [
        string,
        { row?: Partial<HostRow>; behave?: Parameters<TestHost['behave']>[0]; down?: boolean },
        number,
        string,
        string,
        RegExp,
      ]
    > = [
      ['sshd down', { down: true }, 502, 'AST_HOST_UNREACHABLE', 'телефонная станция не отвечает', /127\.0\.0\.1:\d+/],
      [
        'Asterisk not running',
        { behave: { exitCode: 1 } },
        502,
        'AST_ASTERISK_UNAVAILABLE',
        'телефонная станция не работает',
        /asterisk\.ctl/,
      ],
      [
        'wrong binary path',
        { row: { asterisk_path: '/opt/nowhere/asterisk' } },
        502,
        'AST_ASTERISK_UNAVAILABLE',
        'телефонная станция не работает',
        /\/opt\/nowhere\/asterisk/,
      ],
      [
        'host key mismatch',
        { row: { host_key: 'OTHER' } },
        502,
        'AST_HOST_KEY_MISMATCH',
        'нет доступа к телефонной станции, обратитесь к администратору',
        /SHA256:/,
      ],
      [
        'key not accepted',
        { row: { key_file: 'OTHER_KEY' } },
        502,
        'AST_HOST_AUTH_FAILED',
        'нет доступа к телефонной станции, обратитесь к администратору',
        /127\.0\.0\.1/,
      ],
      [
        'key file missing',
        { row: { key_file: '/nonexistent/id_ed25519' } },
        502,
        'AST_HOST_KEY_FILE',
        'нет доступа к телефонной станции, обратитесь к администратору',
        /\/nonexistent\/id_ed25519/,
      ],
      [
        'originate refused',
        { behave: { originateOutput: 'Usage: channel originate <tech/data> ... (/etc/asterisk/extensions.conf)' } },
        502,
        'AST_ORIGINATE_REFUSED',
        'телефонная станция отказалась начать звонок',
        /\/etc\/asterisk/,
      ],
      [
        'slow host',
        { behave: { slowSeconds: 4 } },
        504,
        'AST_HOST_COMMAND_TIMEOUT',
        'телефонная станция не ответила вовремя; звонок, возможно, всё же начнётся',
        /127\.0\.0\.1/,
      ],
    ];

    it.each(cases)(
      '%s',
      async (name, c, status, astCode, reason, detailInJournal) => {
        const row: Partial<HostRow> = { ...c.row };
        if (row.host_key === 'OTHER') row.host_key = host.otherHostKey;
        if (row.key_file === 'OTHER_KEY') row.key_file = join(host.dir, 'other_host_ed25519'); // a key the host does not know
        await insertHost(w.sql, '367', SECRET, hostRow(host, row));
        if (c.behave) await host.behave(c.behave);
        if (c.down) await host.stop();
        const res = await w.fake
          .click({ userId: 18, phone: '+375 44 000-00-01' })
          .finally(() => (c.down ? host.start() : undefined));
        expect(res.status).toBe(status);
        const body = JSON.parse(res.body);
        expect(body).toEqual({
          success: false,
          statusCode: status,
          code: 'RCRM_ORIGINATE_FAILED',
          error: expect.any(String),
          reason: astCode,
          message: `Не удалось начать звонок: ${reason}`,
        });
        for (const leak of leaks()) expect(res.body, `${name}: ${leak}`).not.toContain(leak);
        // The journal (admin page) keeps the full detail, the answer as sent.
        const [log] = await w.sql<{ ok: boolean; status_code: number; error: string; response: string }[]>`
      select ok, status_code, error, response from integration_logs where kind = 'make-call' order by id desc limit 1`;
        expect(log).toMatchObject({ ok: false, status_code: status, response: JSON.stringify(body) });
        expect(log!.error).toMatch(new RegExp(`^RCRM_ORIGINATE_FAILED \\(${astCode}\\): `));
        expect(log!.error).toMatch(detailInJournal);
        samples.push(`| ${name} | ${status} | ${res.body} |`);
      },
      20_000,
    );
  },
);
