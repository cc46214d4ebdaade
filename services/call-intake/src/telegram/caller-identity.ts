// Who is calling, for the cards (issue 14 item 2): services/retailcrm's GET /internal/retailcrm/caller on
// loopback, which answers from its cache of RetailCRM's telephony/manager?details=1. Fail-open within a
// short wait: no card ever waits longer than `waitMs` for it, and once a number's wait has passed no card
// waits for it again (the request goes on in the background with its own timeout, so the name shows on
// a later edit of the same card when it arrives). Answers are kept per (enterprise, number) for `ttlMs`,
// so the several edits of a call in several chats ask once.
import { LRUCache } from 'lru-cache';
import { Agent, request } from 'undici';
import type { FastifyBaseLogger } from 'fastify';
import type { CallerIdentity, CallerLinks } from '@fleet/telegram-render';

export interface CallerIdentityOptions {
  /** services/retailcrm on loopback (RETAILCRM_URL). */
  retailcrmUrl: string;
  /** The longest a card waits for an answer (ms). */
  waitMs?: number;
  /** Timeout of the request itself (ms): a late answer still fills the cache for the next edit. */
  timeoutMs?: number;
  /** How long an answer is kept (ms). */
  ttlMs?: number;
  /** How long a failure is kept before the number is asked again (ms). */
  failureTtlMs?: number;
  log?: FastifyBaseLogger;
}

export interface CallerIdentityLookup {
  /** The identity of `phone` in `enterprise`, or null when unknown within the wait (never throws). */
  get(enterprise: string, phone: string): Promise<CallerIdentity | null>;
  close(): Promise<void>;
}

interface Entry {
  settled: boolean;
  value: CallerIdentity | null;
  /** Resolves when settled (never rejects). */
  done: Promise<void>;
  /** Cards wait for the answer until then (epoch ms). */
  waitUntil: number;
}

const LINK_KEYS = ['customer', 'lastOrder', 'newOrder', 'newCustomer'] as const;

/** The route's answer as the renderer takes it; null for "unavailable" or anything malformed. */
export function identityOf(body: unknown): CallerIdentity | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { known?: unknown; name?: unknown; links?: unknown; unavailable?: unknown };
  if (b.unavailable === true || typeof b.known !== 'boolean') return null;
  const links: CallerLinks = {};
  if (b.links && typeof b.links === 'object') {
    for (const k of LINK_KEYS) {
      const v = (b.links as Record<string, unknown>)[k];
      if (typeof v === 'string') links[k] = v;
    }
  }
  return {
    known: b.known,
    ...(typeof b.name === 'string' && b.name.trim() ? { name: b.name } : {}),
    links,
  };
}

export function createCallerIdentity(o: CallerIdentityOptions): CallerIdentityLookup {
  const waitMs = o.waitMs ?? 300;
  const timeoutMs = o.timeoutMs ?? 2_000;
  const ttlMs = o.ttlMs ?? 60_000;
  const failureTtlMs = o.failureTtlMs ?? 5_000;
  const base = `${o.retailcrmUrl.replace(/\/+$/, '')}/internal/retailcrm/caller`;
  const agent = new Agent({ connect: { timeout: timeoutMs }, keepAliveTimeout: 10_000 });
  const cache = new LRUCache<string, Entry>({ max: 20_000, ttl: ttlMs });
  /** Numbers whose last ask failed: asked again after failureTtlMs, but no card waits for them. */
  const failed = new LRUCache<string, true>({ max: 20_000, ttl: 10 * 60_000 });

  async function ask(enterprise: string, phone: string): Promise<{ value: CallerIdentity | null; ok: boolean }> {
    const url = `${base}?${new URLSearchParams({ enterprise, phone })}`;
    try {
      const res = await request(url, {
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await res.body.json().catch(() => null)) as Record<string, unknown> | null;
      if (res.statusCode === 200) {
        const value = identityOf(body);
        return { value, ok: value !== null };
      }
      // 4xx: this enterprise's integration is off or misconfigured (the reason is in services/retailcrm's log).
      o.log?.warn(
        { enterprise, status: res.statusCode, code: body?.code },
        'caller identity refused by the retailcrm service',
      );
      return { value: null, ok: res.statusCode < 500 };
    } catch (err) {
      const e = err as Error & { code?: string };
      o.log?.warn({ enterprise, code: e.code ?? e.name, reason: e.message }, 'caller identity unavailable');
      return { value: null, ok: false };
    }
  }

  function start(key: string, enterprise: string, phone: string): Entry {
    const entry: Entry = {
      settled: false,
      value: null,
      done: Promise.resolve(),
      waitUntil: failed.has(key) ? 0 : Date.now() + waitMs,
    };
    entry.done = ask(enterprise, phone).then(({ value, ok }) => {
      Object.assign(entry, { settled: true, value });
      if (ok) failed.delete(key);
      else failed.set(key, true);
      // Re-set to start the entry's own time to live from the answer.
      if (cache.get(key) === entry) cache.set(key, entry, { ttl: ok ? ttlMs : failureTtlMs });
    });
    // While in flight: kept at least as long as the request may take.
    cache.set(key, entry, { ttl: Math.max(ttlMs, timeoutMs) });
    return entry;
  }

  return {
    async get(enterprise, phone) {
      const key = `${enterprise}|${phone}`;
      const entry = cache.get(key) ?? start(key, enterprise, phone);
      if (entry.settled) return entry.value;
      const left = entry.waitUntil - Date.now();
      if (left <= 0) return null;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([entry.done, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
      return entry.settled ? entry.value : null;
    },
    async close() {
      // destroy, not close: a request hanging at a stalled service must not hold the shutdown.
      await agent.destroy();
    },
  };
}
