// Per-API-key rate limiter. RetailCRM allows 10 requests/s per key, 40 requests/s for /telephony/*,
// and answers 503 above that (shared/domain/retailcrm.md). The server counts requests when they
// ARRIVE, which we cannot see: a window over our send times lets a burst whose first requests arrived
// late (new connections) overlap the next burst at the server. So a slot is held from send until the
// response is in, and then for one window: any request the server can still count in its last second
// is one we still count. No jitter assumption, at the cost of a little throughput.
// A token bucket would be worse still (a full bucket plus a second of refill = 2×limit in one second).
// Own code rather than bottleneck/p-throttle: bottleneck is unmaintained since 2019, and neither keys
// buckets by API key nor holds a slot until the response; this is ~70 lines with a FIFO per bucket.
import { createHash } from 'node:crypto';

export type RateBucket = 'telephony' | 'general';

export interface RateLimiterOptions {
  /** Requests per window for /telephony/* (default 40). */
  telephonyPerSecond?: number;
  /** Requests per window for every other method (default 10). */
  generalPerSecond?: number;
  /** Window length after a response, ms (default 1010: one second plus timer granularity). */
  windowMs?: number;
}

/** Shared by every client in the process: create ONE and pass it to each createRetailCrmClient. */
export interface RateLimiter {
  /**
   * Resolves when a request for `apiKey` in `bucket` may be sent (FIFO per key and bucket) with the
   * function to call once its response (or failure) is in. Call it exactly once.
   */
  acquire(apiKey: string, bucket: RateBucket): Promise<() => void>;
}

interface Lane {
  limit: number;
  inFlight: number;
  /** performance.now() of recent completions, oldest first. */
  finished: number[];
  waiters: Array<(release: () => void) => void>;
  timer: NodeJS.Timeout | undefined;
}

/** Creates a limiter keyed by API key (the key is hashed, never kept in clear). */
export function createRateLimiter(opts: RateLimiterOptions = {}): RateLimiter {
  const limits: Record<RateBucket, number> = {
    telephony: opts.telephonyPerSecond ?? 40,
    general: opts.generalPerSecond ?? 10,
  };
  const windowMs = opts.windowMs ?? 1010;
  const lanes = new Map<string, Lane>();

  function pump(lane: Lane): void {
    if (lane.timer) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
    }
    const now = performance.now();
    while (lane.finished.length > 0 && lane.finished[0]! <= now - windowMs) lane.finished.shift();
    while (lane.waiters.length > 0 && lane.inFlight + lane.finished.length < lane.limit) {
      lane.inFlight += 1;
      let released = false;
      lane.waiters.shift()!(() => {
        if (released) return;
        released = true;
        lane.inFlight -= 1;
        lane.finished.push(performance.now());
        pump(lane);
      });
    }
    // Blocked by recent completions (not only by requests in flight, whose release pumps): wake up
    // when the oldest leaves the window.
    if (lane.waiters.length > 0 && lane.finished.length > 0) {
      lane.timer = setTimeout(() => pump(lane), Math.max(1, Math.ceil(lane.finished[0]! + windowMs - now)));
    }
  }

  return {
    acquire(apiKey, bucket) {
      const id = `${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}:${bucket}`;
      let lane = lanes.get(id);
      if (!lane) {
        lane = { limit: limits[bucket], inFlight: 0, finished: [], waiters: [], timer: undefined };
        lanes.set(id, lane);
      }
      const l = lane;
      return new Promise((resolve) => {
        l.waiters.push(resolve);
        pump(l);
      });
    },
  };
}
