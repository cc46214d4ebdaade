// Issue 15.1: two clicks of ONE extension at once (two managers' windows, a double click on two
// numbers) against the real sshd. A host whose dialplan reads ${DB(extcall/nextcall_<ext>)} shows the
// manager the number the last `database put` stored, so the puts and the originate of one click must
// be one unit: every originate is preceded by its own nextcall and nextname, never by the other
// click's. 20 rounds on one service instance, 20 across two instances sharing the database (the lock
// is PostgreSQL's, src/domain/click-lock.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadAsteriskConfig } from '../src/index.ts';
import { startTestHost, sshdAvailable, type TestHost } from '../../../test/support/sshd.ts';
import { createWorld, ENTERPRISE, hostRow, insertHost, SECRET, type World } from './fixtures.ts';

const enabled = sshdAvailable();
const ROUNDS = 20;
const A = '375440000001';
const B = '375440000002';

/**
 * Reads the stand-in's records in start order and checks each originate: the last nextcall and the
 * last nextname put before it carry its own number. Returns the originates that did not.
 */
export function crossOvers(records: { at: number; argv: string[] }[]): { crossed: number; originates: number } {
  const sorted = [...records].sort((x, y) => x.at - y.at);
  let nextcall = '';
  let nextname = '';
  let crossed = 0;
  let originates = 0;
  for (const r of sorted) {
    const cli = r.argv[1] ?? '';
    let m: RegExpMatchArray | null;
    if ((m = cli.match(/^database put extcall nextcall_151 (\d+)$/))) nextcall = m[1]!;
    else if ((m = cli.match(/^database put extcall nextname_151 (\S+)$/))) nextname = m[1]!;
    else if ((m = cli.match(/^channel originate Local\/151@\S+ application Dial Local\/(\d+)@/))) {
      originates++;
      if (nextcall !== m[1] || nextname !== m[1]) crossed++;
    }
  }
  return { crossed, originates };
}

describe.runIf(enabled)('two clicks of one extension at once', () => {
  let host: TestHost;
  let w: World;
  let second: FastifyInstance;
  const table: string[] = [];

  beforeAll(async () => {
    host = await startTestHost();
    w = await createWorld(host);
    // A second instance of the service on the same database, with its own SSH pool.
    second = await buildApp({
      sql: w.sql,
      logger: false,
      config: loadAsteriskConfig({
        DATABASE_URL: w.db.url,
        LOG_LEVEL: 'silent',
        ASTERISK_CONFIRM_POLL_MS: '100',
        ASTERISK_CONFIRM_LATER_MS: '1000',
      }),
    });
  });
  afterAll(async () => {
    // The before/after record of issue 15 (printed once, read from the test log).
    if (table.length)
      process.stdout.write(`\nconcurrent clicks (extension 151, two numbers at once):\n${table.join('\n')}\n`);
    await second?.close();
    await w?.close();
    await host?.dispose();
  });
  beforeEach(async () => {
    await host.behave({});
    await host.clearCalls();
    await insertHost(w.sql, ENTERPRISE, SECRET, hostRow(host, { set_nextcall: true }));
  });

  const click = (app: FastifyInstance, phone: string) =>
    app.inject({
      method: 'GET',
      url: `/api/makecallexternal?${new URLSearchParams({ clientId: SECRET, code: '151', phone })}`,
    });

  async function rounds(apps: [FastifyInstance, FastifyInstance], label: string) {
    let ok = 0;
    let crossedRounds = 0;
    for (let i = 0; i < ROUNDS; i++) {
      await host.clearCalls();
      const [ra, rb] = await Promise.all([click(apps[0], A), click(apps[1], B)]);
      if (ra.statusCode === 200 && rb.statusCode === 200) ok++;
      const records = (await host.calls()).map((argv, j) => ({ argv, at: j }));
      const times = await host.times();
      const r = crossOvers(records.map((x, j) => ({ ...x, at: times[j]! })));
      expect(r.originates).toBe(2);
      if (r.crossed) crossedRounds++;
    }
    table.push(`| ${label} | ${ROUNDS} | ${ok} | ${crossedRounds} |`);
    return { ok, crossedRounds };
  }

  it('one service instance: 20 rounds, each originate preceded by its own nextcall and nextname', async () => {
    const r = await rounds([w.app, w.app], 'one instance');
    expect(r).toEqual({ ok: ROUNDS, crossedRounds: 0 });
  }, 60_000);

  it('two service instances on one database: 20 rounds, no cross-over', async () => {
    const r = await rounds([w.app, second], 'two instances');
    expect(r).toEqual({ ok: ROUNDS, crossedRounds: 0 });
  }, 60_000);

  it('a click that cannot have the extension before its deadline → 409 AST_EXTENSION_BUSY, and never touched the host', async () => {
    await host.behave({ slowSeconds: 1, slowOnly: 'channel originate' });
    const first = click(w.app, A);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const late = await w.app.inject({
      method: 'GET',
      url: `/api/makecallexternal?${new URLSearchParams({ clientId: SECRET, code: '151', phone: B, deadlineMs: '600' })}`,
    });
    expect(Date.now() - t0).toBeLessThan(1200);
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ success: false, code: 'AST_EXTENSION_BUSY' });
    expect((await first).statusCode).toBe(200);
    expect((await host.calls()).some((argv) => argv[1]?.includes(B))).toBe(false);
  }, 20_000);
});
