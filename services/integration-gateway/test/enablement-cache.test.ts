// De-risks the enablement cache: one query for a burst of misses, NOTIFY eviction of a config change
// made by plain SQL, and a full reload when LISTEN reconnects (notifications sent meanwhile are lost).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, TEST_SERVER_ENV, type Sql, type TestDatabase } from '@fleet/db';
import { seedEnterprise, startApp, waitFor } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
const apps: FastifyInstance[] = [];
const CRM = 'http://127.0.0.1:9'; // no deliveries in this file

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 12 });
  await seedEnterprise(sql, '100');
  await seedEnterprise(sql, '200');
  await seedEnterprise(sql, '300', { retailcrm: false });
});

afterAll(async () => {
  for (const a of apps) await a.close();
  await sql?.end();
  await db?.drop();
});

/** The pool, with every query that reads `enterprises` counted and slowed down by 30 ms. */
function countingSql(): { sql: Sql; count: () => number } {
  let n = 0;
  const proxy = new Proxy(sql, {
    apply(target, thisArg, args: [TemplateStringsArray, ...unknown[]]) {
      if (Array.isArray(args[0]) && args[0].join('?').includes('from enterprises')) {
        n++;
        return new Promise((r) => setTimeout(r, 30)).then(() => Reflect.apply(target, thisArg, args));
      }
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { sql: proxy, count: () => n };
}

const enabled = async (app: FastifyInstance, e: string) =>
  (await app.inject(`/integrations/${e}`)).json().retailcrm as boolean;

describe('single-flight loading', () => {
  it('answers 50 concurrent misses of one enterprise with ONE database query', async () => {
    const counted = countingSql();
    const app = await startApp(counted.sql, db.url, CRM, { cacheBackground: false });
    apps.push(app);
    const answers = await Promise.all(Array.from({ length: 50 }, () => app.inject('/integrations/100')));
    expect(answers.map((a) => a.json())).toEqual(Array(50).fill({ retailcrm: true }));
    expect(counted.count()).toBe(1);
    const stats = (await app.inject('/stats')).json().cache;
    expect(stats).toMatchObject({ loads: 1, misses: 50, joins: 49, hits: 0 });

    // Now cached: no further query.
    expect(await enabled(app, '100')).toBe(true);
    expect(counted.count()).toBe(1);
    // Unknown and integration-less enterprises are cached answers too.
    expect(await enabled(app, '300')).toBe(false);
    expect(await enabled(app, '777')).toBe(false);
    expect(await enabled(app, '777')).toBe(false);
    expect(counted.count()).toBe(3);
  });
});

describe('freshness', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await startApp(sql, db.url, CRM);
    apps.push(app);
  });

  it('a config change made by plain SQL reaches the cache through NOTIFY within 1 s', async () => {
    expect(await enabled(app, '200')).toBe(true);
    const t0 = performance.now();
    await sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,enabled}', 'false') where number = '200'`;
    await waitFor(async () => !(await enabled(app, '200')), 1000, 5);
    const offMs = performance.now() - t0;

    const t1 = performance.now();
    await sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,enabled}', 'true') where number = '200'`;
    await waitFor(() => enabled(app, '200'), 1000, 5);
    const onMs = performance.now() - t1;
    console.info(`NOTIFY → cache flip: off ${offMs.toFixed(1)} ms, on ${onMs.toFixed(1)} ms`);
    expect(offMs).toBeLessThan(1000);
    expect((await app.inject('/stats')).json().cache.invalidations).toBeGreaterThanOrEqual(2);

    // Deactivating the enterprise switches every integration off, too.
    await sql`update enterprises set active = false where number = '200'`;
    await waitFor(async () => !(await enabled(app, '200')), 1000, 5);
    await sql`update enterprises set active = true where number = '200'`;
    await waitFor(() => enabled(app, '200'), 1000, 5);
  });

  it('reloads everything when LISTEN reconnects, catching changes whose NOTIFY was lost', async () => {
    expect(await enabled(app, '100')).toBe(true);
    const before = (await app.inject('/stats')).json().cache;
    // A change nobody announces (triggers off), as if its NOTIFY was sent while we were disconnected.
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update enterprises set integrations_config = '{}' where number = '100'`;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await enabled(app, '100')).toBe(true); // stale: nothing told the cache

    const killed = await sql`
      select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`;
    expect(killed.length).toBeGreaterThan(0);

    await waitFor(async () => (await app.inject('/stats')).json().cache.listen.connects > before.listen.connects, 5000);
    await waitFor(async () => !(await enabled(app, '100')), 2000);
    const after = (await app.inject('/stats')).json().cache;
    expect(after.fullReloads).toBeGreaterThan(before.fullReloads);
    expect(after.listen.state).toBe('listening');

    // And NOTIFY works again on the new connection.
    await sql`update enterprises set integrations_config = ${sql.json({ retailcrm: { enabled: true, domain: 'd', api_key: 'k' } })} where number = '100'`;
    await waitFor(() => enabled(app, '100'), 1000, 5);
  });

  it('recovers LISTEN after an outage in which the database refused connections, then reloads', async () => {
    const watched = await startApp(sql, db.url, CRM, { env: { LISTEN_HEARTBEAT_MS: '100' } });
    apps.push(watched);
    await waitFor(async () => (await watched.inject('/stats')).json().cache.listen.lastHeartbeatAt !== null, 3000);
    const before = (await watched.inject('/stats')).json().cache.listen.connects;

    // Refuse new connections, then drop the LISTEN connection; meanwhile a change nobody announces.
    const admin = createSql(process.env[TEST_SERVER_ENV]!, { max: 1 }); // ALTER DATABASE must run elsewhere
    await admin.unsafe(`alter database ${db.name} with allow_connections false`);
    try {
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`;
      await sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`update enterprises set active = false where number = '300'`;
        await tx`update enterprises set integrations_config = '{}' where number = '200'`;
      });
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await admin.unsafe(`alter database ${db.name} with allow_connections true`);
      await admin.end();
    }
    await waitFor(async () => (await watched.inject('/stats')).json().cache.listen.connects > before, 5000);
    await waitFor(async () => !(await enabled(watched, '200')), 2000);
    // NOTIFY reaches it again.
    await sql`update enterprises set integrations_config = ${sql.json({ retailcrm: { enabled: true, domain: 'd', api_key: 'k' } })} where number = '200'`;
    await waitFor(() => enabled(watched, '200'), 1000, 5);
  });

  it('LISTENs again when its self-NOTIFY heartbeat is not heard (a silently dead channel), then reloads', async () => {
    // The channel goes deaf without the connection closing: every LISTEN made so far stops hearing, a
    // new LISTEN hears again. (Per subscription: a re-LISTEN the heartbeat started on its own under load,
    // in flight when the channel went deaf, used to make the whole channel hear again — a flaky test.)
    let subscriptions = 0;
    let deafUpTo = 0;
    const deafening = new Proxy(sql, {
      get(target, prop, receiver) {
        if (prop !== 'listen') return Reflect.get(target, prop, receiver);
        return (channel: string, onNotify: (x: string) => void, onListen?: () => void) => {
          const mine = ++subscriptions;
          return target.listen(channel, (x) => mine <= deafUpTo || onNotify(x), onListen);
        };
      },
    });
    const watched = await startApp(deafening, db.url, CRM, { env: { LISTEN_HEARTBEAT_MS: '100' } });
    apps.push(watched);
    expect(await enabled(watched, '100')).toBe(true);
    const before = (await watched.inject('/stats')).json().cache;
    deafUpTo = subscriptions;
    await sql`update enterprises set integrations_config = '{}' where number = '100'`;
    // Both: the change seen, and a LISTEN made since the channel went deaf (under load a reload the
    // heartbeat started a moment before may already have read the change; the deaf channel must still
    // be noticed and listened to again).
    const connects = async () => (await watched.inject('/stats')).json().cache.listen.connects as number;
    await waitFor(async () => !(await enabled(watched, '100')) && (await connects()) > before.listen.connects, 5000);
    const after = (await watched.inject('/stats')).json().cache;
    expect(after.listen.connects).toBeGreaterThan(before.listen.connects);
    expect(after.fullReloads).toBeGreaterThan(before.fullReloads);
    expect(after.listen.state).toBe('listening');
  });
});
