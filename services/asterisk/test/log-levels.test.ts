// Issue 15.5, the log rule (README "Log levels"): a host that is down or refuses is `warn` with the
// code and the reason and no stack; `error` (with the stack) means a defect or lost work. Checked on
// the lines the asterisk service and retailcrm's make-call really write, against the real sshd.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadAsteriskConfig } from '../src/index.ts';
import { buildApp as buildRetailCrm, loadRetailCrmConfig } from '../../retailcrm/src/index.ts';
import { freePort } from '../../../test/support/net.ts';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import { ENTERPRISE, hostRow, insertHost, makeCall, SECRET } from './fixtures.ts';

const enabled = sshdAvailable();
type Line = { level: number; msg: string; code?: string; reason?: string; err?: { stack?: string } };
const WARN = 40;
const ERROR = 50;

/** A pino destination that keeps the lines. */
const capture = (lines: Line[]) => ({
  level: 'info',
  stream: { write: (l: string) => void lines.push(JSON.parse(l) as Line) },
});

describe.runIf(enabled)('log levels of click-to-call failures', () => {
  let db: TestDatabase;
  let sql: Sql;
  let host: TestHost;
  let app: FastifyInstance;
  let retailcrm: FastifyInstance;
  const lines: Line[] = [];
  const rcLines: Line[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = createSql(db.url, { max: 5 });
    host = await startTestHost();
    await sql`insert into enterprises (number, name, host_token, phone_region) values (${ENTERPRISE}, 'Acme', 'host-token-367', 'BY')`;
    app = await buildApp({
      sql,
      logger: capture(lines),
      config: loadAsteriskConfig({
        DATABASE_URL: db.url,
        ASTERISK_COMMAND_TIMEOUT_MS: '1500',
        ASTERISK_CONNECT_TIMEOUT_MS: '1500',
        ASTERISK_BREAKER_VOLUME: '1000',
        ASTERISK_CONFIRM_WAIT_MS: '0',
      }),
    });
    // retailcrm whose asterisk service is down (nothing listens there).
    const rc = {
      enabled: true,
      domain: 'http://127.0.0.1:9',
      api_key: 'k'.repeat(32),
      client_id: 'c'.repeat(32),
      user_extensions: { '18': '151' },
    };
    await sql`insert into enterprises (number, name, host_token, integrations_config) values ('368', 'Shop', 'host-token-368', ${sql.json({ retailcrm: rc })})`;
    await sql`insert into asterisk_hosts (enterprise, host, username, key_file, host_key, originate_secret)
              values ('368', '127.0.0.1', 'fleet', '/nonexistent', 'ssh-ed25519 AAAA', ${'ab'.repeat(24)})`;
    retailcrm = await buildRetailCrm({
      sql,
      logger: capture(rcLines),
      config: loadRetailCrmConfig({
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        ASTERISK_URL: `http://127.0.0.1:${await freePort()}`,
      }),
    });
  });
  afterAll(async () => {
    await retailcrm?.close();
    await app?.close();
    await sql?.end();
    await host?.dispose();
    await db?.drop();
  });
  beforeEach(async () => {
    lines.length = 0;
    await host.behave({});
    await insertHost(sql, ENTERPRISE, SECRET, hostRow(host));
  });

  const failures = () => lines.filter((l) => l.level >= WARN);
  const expectOneWarn = (ls: Line[], code: string) => {
    expect(ls.filter((l) => l.level >= ERROR)).toEqual([]);
    const warn = ls.filter((l) => l.level === WARN);
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ code, reason: expect.any(String) });
    expect(warn[0]!.err).toBeUndefined();
    expect(JSON.stringify(warn[0])).not.toMatch(/\n\s+at /); // no stack anywhere in the line
  };

  it('sshd down → one warn line with the code and the reason, no stack', async () => {
    await host.stop();
    try {
      expect((await makeCall(app, { code: '151', phone: '375440000001' })).statusCode).toBe(502);
    } finally {
      await host.start();
    }
    expectOneWarn(failures(), 'AST_HOST_UNREACHABLE');
  });

  it('Asterisk not running, a wrong binary path, a pinned key mismatch → warn, no stack', async () => {
    for (const [row, behave, code] of [
      [{}, { exitCode: 1 }, 'AST_ASTERISK_UNAVAILABLE'],
      [{ asterisk_path: '/opt/nowhere/asterisk' }, {}, 'AST_ASTERISK_UNAVAILABLE'],
      [{ host_key: host.otherHostKey }, {}, 'AST_HOST_KEY_MISMATCH'],
    ] as const) {
      lines.length = 0;
      await insertHost(sql, ENTERPRISE, SECRET, hostRow(host, row));
      await host.behave(behave);
      expect((await makeCall(app, { code: '151', phone: '375440000001' })).statusCode).toBe(502);
      expectOneWarn(failures(), code);
    }
  });

  it('a defect (the originate record cannot be written) → error with the stack', async () => {
    await sql`alter table originates rename to originates_away`;
    try {
      expect((await makeCall(app, { code: '151', phone: '375440000001' })).statusCode).toBe(500);
    } finally {
      await sql`alter table originates_away rename to originates`;
    }
    // The defect itself, and the lost work (its record's outcome could not be stored either).
    const errors = lines.filter((l) => l.level === ERROR);
    expect(errors.map((l) => l.msg).sort()).toEqual(['originate failed: defect', 'originate record update failed']);
    for (const e of errors) expect(e.err?.stack).toMatch(/\n\s+at /);
    expect(lines.filter((l) => l.level === WARN)).toEqual([]);
  });

  it("retailcrm's make-call with the asterisk service down → warn with the reason, no stack", async () => {
    rcLines.length = 0;
    const res = await retailcrm.inject({
      method: 'GET',
      url: `/retailcrm/make-call?${new URLSearchParams({ clientId: 'c'.repeat(32), userId: '18', phone: '+375440000001' })}`,
    });
    expect(res.statusCode).toBe(502);
    expectOneWarn(
      rcLines.filter((l) => l.level >= WARN),
      'RCRM_ORIGINATE_FAILED',
    );
  });
});
