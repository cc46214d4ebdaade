// The enablement cache's clocks (issue 2 §4): an entry lives CACHE_TTL_MS and is loaded again after it,
// and the background full reload runs every CACHE_REFRESH_MS ± CACHE_REFRESH_JITTER_MS. NOTIFY is
// switched off here (no LISTEN, or a database stand-in that never notifies), so only time refreshes.
// The production defaults (90 s, 240 s ± 60 s) run on fake timers against an in-memory `enterprises`;
// the TTL also runs once for real, through the app's config, against PostgreSQL.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { loadGatewayConfig } from '../src/config.ts';
import type { EnterpriseRow } from '../src/domain/enablement.ts';
import { createEnablementCache } from '../src/plugins/enablement-cache.ts';
import { seedEnterprise, startApp } from './helpers.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;
const on = { retailcrm: { enabled: true, domain: 'shop.retailcrm.ru', api_key: 'k' } };

/**
 * A stand-in for the pool that answers the cache's two queries from `rows` and records when (fake
 * Date.now) each full reload ran; LISTEN succeeds at once, and no notification ever arrives.
 */
function memoryDatabase(rows: EnterpriseRow[]) {
  const singleLoads: string[] = [];
  const fullReloadsAt: number[] = [];
  const sql = (strings: TemplateStringsArray, ...params: unknown[]) => {
    const text = strings.join('?');
    if (text.includes('where number =')) {
      singleLoads.push(String(params[0]));
      return Promise.resolve(rows.filter((r) => r.number === params[0]).map((r) => ({ ...r })));
    }
    if (text.includes('from enterprises')) {
      fullReloadsAt.push(Date.now());
      return Promise.resolve(rows.map((r) => ({ ...r })));
    }
    return Promise.resolve([]);
  };
  sql.listen = async (_channel: string, _onNotify: (payload: string) => void, onListen?: () => void) => {
    onListen?.();
    return { unlisten: async () => {} };
  };
  return { sql: sql as unknown as Sql, singleLoads, fullReloadsAt };
}

/** The cache with the gateway's default timing (its config module's defaults), on the fake clock. */
function defaultTimedCache(sql: Sql) {
  const c = loadGatewayConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1:1/x' });
  const cache = createEnablementCache({
    sql,
    log: silent,
    ttlMs: c.CACHE_TTL_MS,
    refreshMs: c.CACHE_REFRESH_MS,
    jitterMs: c.CACHE_REFRESH_JITTER_MS,
    heartbeatMs: 2_000_000_000, // the LISTEN heartbeat is another test's business
    now: () => Date.now(),
  });
  return { cache, ttl: c.CACHE_TTL_MS, base: c.CACHE_REFRESH_MS, jitter: c.CACHE_REFRESH_JITTER_MS };
}

const row = (number: string, config: Record<string, unknown>): EnterpriseRow => ({
  number,
  active: true,
  integrations_config: config,
});

describe('enablement cache timing (fake clock, default settings)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('keeps an entry for CACHE_TTL_MS (90 s), then loads it again and sees what changed meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rows = [row('100', on)];
    const db = memoryDatabase(rows);
    const { cache, ttl } = defaultTimedCache(db.sql);
    expect(ttl).toBe(90_000);

    expect((await cache.get('100')).integrations.retailcrm).toBe(true);
    expect(db.singleLoads).toEqual(['100']);
    rows[0]!.integrations_config = {}; // switched off, and nobody says so

    vi.advanceTimersByTime(ttl - 1);
    expect((await cache.get('100')).integrations.retailcrm).toBe(true); // still the cached answer
    expect(db.singleLoads).toHaveLength(1);

    vi.advanceTimersByTime(2);
    expect((await cache.get('100')).integrations.retailcrm).toBe(false);
    expect(db.singleLoads).toEqual(['100', '100']);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, loads: 2 });
  });

  it('reloads everything CACHE_REFRESH_MS − jitter after start at the earliest, + jitter at the latest', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rows = [row('100', on)];
    const db = memoryDatabase(rows);
    const { cache, base, jitter } = defaultTimedCache(db.sql);
    expect([base, jitter]).toEqual([240_000, 60_000]);
    const random = vi.spyOn(Math, 'random').mockReturnValue(0); // the shortest period
    await cache.start();
    const initial = db.fullReloadsAt.length; // the reload LISTEN's first connect asks for
    expect(initial).toBeGreaterThan(0);
    expect((await cache.get('100')).integrations.retailcrm).toBe(true);

    rows[0]!.integrations_config = {};
    random.mockReturnValue(1 - Number.EPSILON); // the period armed after the next reload: the longest
    await vi.advanceTimersByTimeAsync(base - jitter - 1);
    expect(db.fullReloadsAt).toHaveLength(initial);
    await vi.advanceTimersByTimeAsync(1);
    expect(db.fullReloadsAt).toHaveLength(initial + 1);
    // The reload refreshed the cached entry in place: the change shows without a load of its own.
    expect((await cache.get('100')).integrations.retailcrm).toBe(false);
    expect(db.singleLoads).toEqual([]);

    await vi.advanceTimersByTimeAsync(base + jitter - 1);
    expect(db.fullReloadsAt).toHaveLength(initial + 1);
    await vi.advanceTimersByTimeAsync(1);
    expect(db.fullReloadsAt).toHaveLength(initial + 2);
    await cache.stop();
  });

  it('spreads the periods over [base − jitter, base + jitter] with Math.random', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const db = memoryDatabase([row('100', on)]);
    const { cache, base, jitter } = defaultTimedCache(db.sql);
    await cache.start();
    const initial = db.fullReloadsAt.length;
    await vi.advanceTimersByTimeAsync(200 * base);
    await cache.stop();

    const at = db.fullReloadsAt.slice(initial - 1);
    const periods = at.slice(1).map((t, i) => t - at[i]!);
    expect(periods.length).toBeGreaterThanOrEqual(160); // 200 base periods of time, each at most base + jitter
    for (const p of periods) {
      expect(p).toBeGreaterThanOrEqual(base - jitter);
      expect(p).toBeLessThanOrEqual(base + jitter);
    }
    // Jitter is really applied (P of failing by chance < 1e-20 for each bound).
    expect(Math.min(...periods)).toBeLessThan(base - jitter / 2);
    expect(Math.max(...periods)).toBeGreaterThan(base + jitter / 2);
    // And stop() ends the timer: no reload afterwards.
    const after = db.fullReloadsAt.length;
    await vi.advanceTimersByTimeAsync(2 * (base + jitter));
    expect(db.fullReloadsAt).toHaveLength(after);
  });
});

describe('enablement cache TTL through the app config (real PostgreSQL, real time)', () => {
  let db: TestDatabase;
  let sql: Sql;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = createSql(db.url, { max: 2 });
    await seedEnterprise(sql, '100');
    // No LISTEN (cacheBackground false): only CACHE_TTL_MS can make it see a change.
    app = await startApp(sql, db.url, 'http://127.0.0.1:9', { cacheBackground: false, env: { CACHE_TTL_MS: '1500' } });
  });

  afterAll(async () => {
    await app?.close();
    await sql?.end();
    await db?.drop();
  });

  it('answers from the cache until CACHE_TTL_MS has passed, then from the database', async () => {
    const enabled = async () => (await app.inject('/integrations/100')).json().retailcrm as boolean;
    const loadedAt = performance.now();
    expect(await enabled()).toBe(true);
    await sql`update enterprises set integrations_config = '{}' where number = '100'`;
    expect(await enabled()).toBe(true); // cached, though the row changed
    expect(performance.now() - loadedAt).toBeLessThan(1500); // (or the line above proved nothing)

    await new Promise((r) => setTimeout(r, 1600 - (performance.now() - loadedAt)));
    expect(await enabled()).toBe(false);
    const stats = (await app.inject('/stats')).json().cache;
    expect(stats.loads).toBe(2);
    expect(stats.fullReloads).toBe(0);
  });
});
