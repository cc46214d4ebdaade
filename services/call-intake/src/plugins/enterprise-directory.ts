import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import { keepListening, type Listener, type Sql } from '@fleet/db';
import { withDeadline } from '../journal/outage.ts';

/** A lookup unanswered this long counts as failed (the host gives up at 3 s; the journal needs time too). */
const LOOKUP_DEADLINE_MS = 1000;

/** What call-intake needs to know about the enterprise behind a host token. */
export interface EnterpriseRef {
  number: string;
  active: boolean;
  timezone: string;
}

export interface EnterpriseDirectory {
  /** The enterprise whose host_token is `token`, or null. Cached; evicted by NOTIFY enterprise_changed. */
  byToken(token: string): Promise<EnterpriseRef | null>;
  /** Drops every cached entry (on NOTIFY, and when the LISTEN connection reconnects). */
  clear(): void;
}

const MISS = { number: '', active: false, timezone: '' } satisfies EnterpriseRef;

/**
 * Token → enterprise lookups on the hot path without a query per event: an LRU with a TTL, single
 * flight per token, and a LISTEN on `enterprise_changed` that clears it whenever any enterprise row
 * changes (token rotated, deactivated, added). Unknown tokens are cached briefly so garbage traffic
 * cannot hammer the database; the NOTIFY of a newly added enterprise clears them too.
 */
export function createEnterpriseDirectory(sql: Sql): EnterpriseDirectory {
  // Expired entries stay (noDeleteOnStaleGet) so that they can answer while PostgreSQL is down.
  const cache = new LRUCache<string, EnterpriseRef>({ max: 50_000, ttl: 60_000, noDeleteOnStaleGet: true });
  const inflight = new Map<string, Promise<EnterpriseRef>>();
  const dir: EnterpriseDirectory = {
    clear: () => cache.clear(),
    async byToken(token) {
      const hit = cache.get(token);
      if (hit) return hit === MISS ? null : hit;
      let p = inflight.get(token);
      if (!p) {
        p = load(token).finally(() => inflight.delete(token));
        inflight.set(token, p);
      }
      const ref = await p;
      return ref === MISS ? null : ref;
    },
  };
  async function load(token: string): Promise<EnterpriseRef> {
    let row: EnterpriseRef | undefined;
    try {
      [row] = await withDeadline(
        sql<EnterpriseRef[]>`select number, active, timezone from enterprises where host_token = ${token}`,
        LOOKUP_DEADLINE_MS,
      );
    } catch (err) {
      const stale = cache.get(token, { allowStale: true });
      if (stale) return stale; // the outage journal takes the event; a stale answer beats a lost one
      throw err;
    }
    const ref = row ?? MISS;
    cache.set(token, ref, row ? {} : { ttl: 5_000 });
    return ref;
  }
  return dir;
}

declare module 'fastify' {
  interface FastifyInstance {
    directory: EnterpriseDirectory;
    /** The LISTEN on enterprise_changed that keeps `directory` fresh (its heartbeat serves /ready). */
    directoryListener: Listener;
  }
}

export default fp(
  async (app, opts: { sql: Sql; heartbeatMs?: number }) => {
    const dir = createEnterpriseDirectory(opts.sql);
    app.decorate('directory', dir);
    // In the background: call-intake starts (and journals) while PostgreSQL is down, and a deaf
    // channel is noticed by the heartbeat and LISTENed again.
    const listener = keepListening(opts.sql, 'enterprise_changed', {
      onNotify: () => dir.clear(),
      // First LISTEN and every re-LISTEN: notifications sent meanwhile are lost (PITFALLS.md).
      onListen: () => dir.clear(),
      heartbeatMs: opts.heartbeatMs,
      log: app.log.child({ component: 'directory' }),
    });
    app.decorate('directoryListener', listener);
    app.addHook('onClose', async () => {
      await listener.close();
    });
  },
  { name: 'enterprise-directory' },
);
