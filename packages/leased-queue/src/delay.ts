import { backoffMs, type BackoffOptions } from '@fleet/backoff';

/**
 * Seconds until the next attempt after `attempts` failures: exactly `retryAfterSec` when the other
 * side said when (Retry-After, Telegram's retry_after: it knows when trying again makes sense), else
 * the queue's exponential backoff (@fleet/backoff).
 */
export function retryDelaySec(attempts: number, backoff: BackoffOptions, retryAfterSec?: number): number {
  if (retryAfterSec !== undefined && Number.isFinite(retryAfterSec) && retryAfterSec > 0) return retryAfterSec;
  return backoffMs(attempts, backoff) / 1000;
}
