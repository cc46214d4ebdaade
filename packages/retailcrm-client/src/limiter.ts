// Per-API-key rate limiter. RetailCRM allows 10 requests/s per key, 40 requests/s for /telephony/*,
// and answers 503 above that (shared/domain/retailcrm.md). A token bucket would let 2×limit through in
// one second (a full bucket plus a second of refill), so this is a sliding-window log: at most `limit`
// sends in any window of `windowMs` (1 s plus a margin for network jitter between us and the server).
// Own code rather than bottleneck/p-throttle: bottleneck is unmaintained since 2019, p-throttle has no
// keyed buckets and its strict mode is this same window; this is ~60 lines with a FIFO per bucket.
import { createHash } from 'node:crypto';

export type RateBucket = 'telephony' | 'general';

export interface RateLimiterOptions {
  /** Requests per window for /telephony/* (default 40). */
  telephonyPerSecond?: number;
  /** Requests per window for every other method (default 10). */
  generalPerSecond?: number;
  /** Window length, ms (default 1000 + 50 margin so receive-time jitter never tips the server over). */
  windowMs?: number;
}

/** Shared by every client in the process: create ONE and pass it to each createRetailCrmClient. */
export interface RateLimiter {
  /** Resolves when a request for `apiKey` in `bucket` may be sent (FIFO per key and bucket). */
  acquire(apiKey: string, bucket: RateBucket): Promise<void>;
}

interface Lane {
  sent: number[];
  waiters: Array<() => void>;
  timer: NodeJS.Timeout | undefined;
}

/** Creates a sliding-window limiter keyed by API key (the key is hashed, never kept in clear). */
export function createRateLimiter(opts: RateLimiterOptions = {}): RateLimiter {
  const limits: Record<RateBucket, number> = {
    telephony: opts.telephonyPerSecond ?? 40,
    general: opts.generalPerSecond ?? 10,
  };
  const windowMs = opts.windowMs ?? 1050;
  const lanes = new Map<string, Lane>();

  function pump(lane: Lane, limit: number): void {
    lane.timer = undefined;
    for (;;) {
      const now = performance.now();
      while (lane.sent.length > 0 && lane.sent[0]! <= now - windowMs) lane.sent.shift();
      if (lane.waiters.length === 0) return;
      if (lane.sent.length < limit) {
        lane.sent.push(now);
        lane.waiters.shift()!();
        continue;
      }
      const wait = Math.max(1, Math.ceil(lane.sent[0]! + windowMs - now));
      lane.timer = setTimeout(() => pump(lane, limit), wait);
      return;
    }
  }

  return {
    acquire(apiKey, bucket) {
      const id = `${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}:${bucket}`;
      let lane = lanes.get(id);
      if (!lane) {
        lane = { sent: [], waiters: [], timer: undefined };
        lanes.set(id, lane);
      }
      const l = lane;
      return new Promise<void>((resolve) => {
        l.waiters.push(resolve);
        if (!l.timer) pump(l, limits[bucket]);
      });
    },
  };
}
