import type { ScenarioEvent } from './scenario.ts';

/**
 * Milliseconds to wait before posting each event: the gap between its `t` and the previous event's
 * `t` (seconds) divided by `speed`. 0 for the first event, when either `t` is absent, when time runs
 * backwards, or when `speed` is 0 (no waiting).
 * @throws RangeError for a negative or non-finite speed.
 */
export function gapsMs(events: readonly ScenarioEvent[], speed = 1): number[] {
  if (!Number.isFinite(speed) || speed < 0) throw new RangeError('speed must be a number ≥ 0');
  return events.map((e, i) => {
    const prev = events[i - 1];
    if (speed === 0 || !prev || e.t === undefined || prev.t === undefined) return 0;
    return Math.max(0, e.t - prev.t) * (1000 / speed);
  });
}

/** Nearest-rank percentile (`p` in 0..100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** What one posted event came back with; `status` 0 = no HTTP answer (refused, timeout). */
export interface ReplayResult {
  index: number;
  event: string;
  uniqueId: string;
  status: number;
  latencyMs: number;
  /** Network error or response body of a non-2xx answer (first 200 characters). */
  error?: string;
}

export interface ReplaySummary {
  count: number;
  /** Count per HTTP status (`0` = no answer). */
  byStatus: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** True when every event got a 2xx. */
  ok: boolean;
}

/** Counts by status and latency percentiles of a replay. */
export function summarize(results: readonly ReplayResult[]): ReplaySummary {
  const byStatus: Record<string, number> = {};
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const latencies = results.map((r) => r.latencyMs);
  return {
    count: results.length,
    byStatus,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ok: results.every((r) => r.status >= 200 && r.status < 300),
  };
}
