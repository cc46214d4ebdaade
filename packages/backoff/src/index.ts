// @fleet/backoff: the one exponential backoff of the fleet's own retry loops (the outbox dispatcher,
// the Telegram card worker, the CLI's service supervisor). Calls to RetailCRM inside one step retry
// through p-retry instead (packages/retailcrm-client), a library's loop with its own delays.

export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  firstMs: number;
  /** Ceiling, ms: the delay stops growing here. */
  maxMs: number;
  /**
   * Spread as a fraction: the delay is multiplied by a uniform factor in [1 − jitter, 1 + jitter], so
   * that rows or processes that failed together do not retry together (default 0: exact).
   */
  jitter?: number;
  /** Uniform random source in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (1 = the first retry), in ms: `firstMs` doubled per earlier
 * retry, at most `maxMs`, then spread by ±`jitter`. Attempts below 1 count as 1; very large attempts
 * do not overflow (the doubling stops at the ceiling). The shape is the usual "exponential backoff with
 * jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015: equal jitter around the
 * capped exponential).
 * @throws RangeError when firstMs or maxMs is not a positive finite number, or jitter is outside [0, 1].
 */
export function backoffMs(attempt: number, o: BackoffOptions): number {
  const jitter = o.jitter ?? 0;
  if (!(o.firstMs > 0) || !Number.isFinite(o.firstMs) || !(o.maxMs > 0) || !Number.isFinite(o.maxMs))
    throw new RangeError(`backoff: firstMs and maxMs must be positive (got ${o.firstMs}, ${o.maxMs})`);
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff: jitter must be within [0, 1] (got ${jitter})`);
  const doublings = Math.max(0, Math.min(Math.floor(attempt) - 1, 52));
  const capped = Math.min(o.maxMs, o.firstMs * 2 ** doublings);
  if (jitter === 0) return capped;
  return capped * (1 - jitter + 2 * jitter * (o.random ?? Math.random)());
}
