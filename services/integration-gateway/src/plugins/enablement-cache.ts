// enterprise number → which integrations are on.
// Freshness: TTL per entry, a jittered full reload every few minutes, NOTIFY eviction, and a full
// reload whenever LISTEN (re)connects, because notifications sent while disconnected are lost
// (PITFALLS.md). Loads are single-flight: N concurrent misses of one enterprise cost one query.
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Sql } from '@fleet/db';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { enablementOf, noIntegrations, type Enablement, type EnterpriseRow } from '../domain/enablement.ts';

/** What the cache knows of one enterprise. */
export interface EnterpriseEntry {
  exists: boolean;
  integrations: Enablement;
}

export type ListenState = 'idle' | 'connecting' | 'listening' | 'lost' | 'closed';

export interface EnablementCacheOptions {
  sql: Sql;
  log: Logger;
  ttlMs: number;
  refreshMs: number;
  jitterMs: number;
  heartbeatMs: number;
  /** Clock of entry lifetimes (ms; default performance.now): tests pass a fake one to cross the TTL. */
  now?: () => number;
}

/** Channels whose payload is an enterprise number to evict (sql/001_enterprises.sql trigger). */
const CHANNELS = ['integration_config_changed', 'enterprise_changed'] as const;
const ENTERPRISE = /^[0-9]{1,16}$/;

const entryOf = (row: EnterpriseRow | undefined): EnterpriseEntry =>
  row ? { exists: true, integrations: enablementOf(row) } : { exists: false, integrations: noIntegrations() };

/** The enablement cache: `get` for readers, `start`/`stop` for the app lifecycle, `stats` for /stats. */
export type EnablementCache = ReturnType<typeof createEnablementCache>;

/** Creates the cache; nothing runs until `start()` (LISTEN, first full reload, refresh timer, heartbeat). */
export function createEnablementCache(o: EnablementCacheOptions) {
  const cache = new LRUCache<string, EnterpriseEntry>({
    max: 100_000,
    ttl: o.ttlMs,
    ...(o.now ? { perf: { now: o.now } } : {}),
  });
  const inflight = new Map<string, Promise<EnterpriseEntry>>();
  // Monotonic clock of cache events: a load may store its result only if nothing invalidated its key
  // (or everything) after the load began, otherwise it could put back what a NOTIFY just evicted.
  let epoch = 0;
  let everythingInvalidatedAt = 0;
  const invalidatedAt = new Map<string, number>();
  const counters = { hits: 0, misses: 0, joins: 0, loads: 0, invalidations: 0, fullReloads: 0, listens: 0 };
  let lastFullReloadAt: Date | null = null;
  let listenState: ListenState = 'idle';
  let lastHeartbeatAt: Date | null = null;
  let handles: { unlisten(): Promise<unknown> }[] = [];
  let refreshTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let reloading: Promise<void> | null = null;
  let reloadAgain = false;
  let stopped = true;
  const pongs = new Map<string, () => void>();

  const mayStore = (key: string, startedAt: number) =>
    startedAt > everythingInvalidatedAt && startedAt > (invalidatedAt.get(key) ?? 0);

  async function load(key: string): Promise<EnterpriseEntry> {
    const startedAt = ++epoch;
    counters.loads++;
    const rows = await o.sql<EnterpriseRow[]>`
      select number, active, integrations_config from enterprises where number = ${key}`;
    const entry = entryOf(rows[0]);
    if (mayStore(key, startedAt)) cache.set(key, entry);
    return entry;
  }

  /** Entry of `enterprise`; `fresh` bypasses the cached value (used before answering 403/422). */
  async function get(enterprise: string, opts: { fresh?: boolean } = {}): Promise<EnterpriseEntry> {
    if (!opts.fresh) {
      const hit = cache.get(enterprise);
      if (hit) {
        counters.hits++;
        return hit;
      }
    }
    counters.misses++;
    const running = inflight.get(enterprise);
    if (running) {
      counters.joins++;
      return running;
    }
    const p = load(enterprise).finally(() => {
      if (inflight.get(enterprise) === p) inflight.delete(enterprise);
    });
    inflight.set(enterprise, p);
    return p;
  }

  /** Evicts one enterprise (NOTIFY or POST /cache/invalidate); a load in flight will not store. */
  function invalidate(enterprise: string): void {
    counters.invalidations++;
    invalidatedAt.set(enterprise, ++epoch);
    cache.delete(enterprise);
    inflight.delete(enterprise);
  }

  async function reloadOnce(): Promise<void> {
    const startedAt = ++epoch;
    const rows = await o.sql<EnterpriseRow[]>`select number, active, integrations_config from enterprises`;
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.number);
      if (mayStore(row.number, startedAt)) cache.set(row.number, entryOf(row));
    }
    for (const key of [...cache.keys()]) if (!seen.has(key) && cache.get(key)?.exists) cache.delete(key);
    counters.fullReloads++;
    lastFullReloadAt = new Date();
    o.log.debug({ enterprises: rows.length }, 'enablement cache reloaded');
  }

  /** Full reload of every enterprise; concurrent callers share one run (plus one more if asked meanwhile). */
  function reloadAll(): Promise<void> {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      try {
        do {
          reloadAgain = false;
          await reloadOnce();
        } while (reloadAgain && !stopped);
      } finally {
        reloading = null;
      }
    })();
    return reloading;
  }

  function onNotify(payload: string): void {
    if (payload.startsWith('gw-ping:')) return pongs.get(payload)?.();
    if (!ENTERPRISE.test(payload)) return;
    o.log.debug({ enterprise: payload }, 'enablement evicted by NOTIFY');
    invalidate(payload);
  }

  function onListen(): void {
    counters.listens++;
    listenState = 'listening';
    // Whatever was announced while we were not listening is lost: distrust everything cached.
    everythingInvalidatedAt = ++epoch;
    reloadAll().catch((err) => o.log.warn({ err }, 'enablement reload after LISTEN failed'));
  }

  async function listen(): Promise<void> {
    listenState = 'connecting';
    await Promise.all(handles.map((h) => h.unlisten().catch(() => {})));
    handles = [];
    try {
      for (const channel of CHANNELS) handles.push(await o.sql.listen(channel, onNotify, onListen));
    } catch (err) {
      listenState = 'lost';
      o.log.warn({ err }, 'LISTEN failed; the heartbeat will retry');
    }
  }

  // postgres.js re-issues LISTEN after a reconnect (and retries the connection), but a rejected
  // re-LISTEN is swallowed (`.catch(() => {})` in its listen()), leaving a deaf channel. A NOTIFY to
  // ourselves proves the channel still works; when it is not heard we LISTEN again (→ full reload).
  async function heartbeat(): Promise<void> {
    if (listenState !== 'listening') return listen();
    const nonce = `gw-ping:${randomBytes(6).toString('hex')}`;
    const heard = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), Math.min(o.heartbeatMs, 3000));
      pongs.set(nonce, () => (clearTimeout(t), resolve(true)));
    });
    try {
      await o.sql`select pg_notify(${CHANNELS[0]}, ${nonce})`;
      if (await heard) lastHeartbeatAt = new Date();
      else {
        o.log.warn('LISTEN heartbeat not heard; listening again');
        listenState = 'lost';
        if (!stopped) await listen();
      }
    } catch (err) {
      listenState = 'lost';
      o.log.warn({ err }, 'LISTEN heartbeat failed');
    } finally {
      pongs.delete(nonce);
    }
  }

  function armRefresh(): void {
    const delay = o.refreshMs + Math.round((Math.random() * 2 - 1) * o.jitterMs);
    refreshTimer = setTimeout(
      () => {
        reloadAll()
          .catch((err) => o.log.warn({ err }, 'periodic enablement reload failed'))
          .finally(() => !stopped && armRefresh());
      },
      Math.max(1000, delay),
    );
    refreshTimer.unref();
  }

  function armHeartbeat(): void {
    heartbeatTimer = setTimeout(() => {
      heartbeat().finally(() => !stopped && armHeartbeat());
    }, o.heartbeatMs);
    heartbeatTimer.unref();
  }

  return {
    get,
    invalidate,
    reloadAll,
    /** LISTEN on the change channels (its onListen does the first full reload), arm the timers. */
    async start(): Promise<void> {
      stopped = false;
      await listen();
      if (listenState !== 'listening') await reloadAll().catch(() => {});
      armRefresh();
      armHeartbeat();
    },
    /** Stops timers and UNLISTENs; waits for a reload in progress. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(refreshTimer);
      clearTimeout(heartbeatTimer);
      await Promise.all(handles.map((h) => h.unlisten().catch(() => {})));
      handles = [];
      listenState = 'closed';
      await reloading?.catch(() => {});
    },
    /** Counters for /stats. */
    stats() {
      const lookups = counters.hits + counters.misses;
      return {
        size: cache.size,
        ...counters,
        hitRatio: lookups ? counters.hits / lookups : null,
        lastFullReloadAt,
        listen: { state: listenState, connects: counters.listens, lastHeartbeatAt },
      };
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    enablement: EnablementCache;
  }
}

/** Decorates `app.enablement`; LISTEN and timers run from onReady to onClose unless `background` is false. */
export const enablementCachePlugin = fp(
  async (app: FastifyInstance, opts: { background?: boolean }) => {
    const c = app.config;
    const cache = createEnablementCache({
      sql: app.sql,
      log: app.log.child({ component: 'enablement-cache' }),
      ttlMs: c.CACHE_TTL_MS,
      refreshMs: c.CACHE_REFRESH_MS,
      jitterMs: c.CACHE_REFRESH_JITTER_MS,
      heartbeatMs: c.LISTEN_HEARTBEAT_MS,
    });
    app.decorate('enablement', cache);
    if (opts.background === false) return;
    app.addHook('onReady', () => cache.start());
    app.addHook('onClose', () => cache.stop());
  },
  { name: 'enablement-cache', dependencies: ['gateway-core'] },
);
