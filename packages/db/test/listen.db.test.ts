// keepListening: notifications reach onNotify, its own heartbeat pings never do, and a LISTEN
// connection killed under it is taken up again (onListen, so callers drop what they cached).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSql,
  createTestDatabase,
  keepListening,
  PING_PREFIX,
  type Sql,
  type TestDatabase,
} from '../src/index.ts';

let db: TestDatabase;
let sql: Sql;
let admin: Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2, applicationName: 'listen-under-test' });
  admin = createSql(db.url, { max: 1 });
});
afterAll(async () => {
  await sql.end();
  await admin.end();
  await db.drop();
});

const until = async (f: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('keepListening', () => {
  it('delivers payloads, hides its pings, and LISTENs again after its connection is killed', async () => {
    const got: string[] = [];
    let listens = 0;
    const l = keepListening(sql, 'listen_test', {
      onNotify: (p) => got.push(p),
      onListen: () => listens++,
      heartbeatMs: 200,
      pingTimeoutMs: 150,
    });
    try {
      await until(() => l.listening);
      expect(listens).toBe(1);
      await admin`select pg_notify('listen_test', '401')`;
      await until(() => got.length === 1);
      expect(await l.heard(1000)).toBe(true);
      await new Promise((r) => setTimeout(r, 500)); // a few heartbeats
      expect(got).toEqual(['401']);
      expect(got.some((p) => p.startsWith(PING_PREFIX))).toBe(false);

      await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'listen-under-test' and query ilike 'listen%'`;
      await until(() => listens >= 2);
      await until(() => l.listening);
      await admin`select pg_notify('listen_test', '402')`;
      await until(() => got.includes('402'));
    } finally {
      await l.close();
    }
    expect(l.listening).toBe(false);
  });
});
