// The one shape of GET /ready across the fleet (README, "Readiness"): every check says ok or not and
// why, and whether a failure makes the instance unfit for traffic ('critical') or only needs a look.
import type { FastifyReply } from 'fastify';

/** One readiness check: `ok`, a `reason` when not, and details (counts, ages in seconds, states). */
export interface ReadyCheck {
  ok: boolean;
  /** A failed critical check makes /ready 503; a failed non-critical one makes the status 'degraded'. */
  critical: boolean;
  reason?: string;
  [detail: string]: unknown;
}

/** Body of GET /ready: `status` ready (200), degraded (200) or not_ready (503); `reasons` of every failed check. */
export interface ReadyReport {
  status: 'ready' | 'degraded' | 'not_ready';
  service: string;
  reasons: string[];
  checks: Record<string, ReadyCheck>;
}

/** Folds checks into the report and sets the reply's status code (503 when a critical check failed). */
export function readyReport(service: string, checks: Record<string, ReadyCheck>, reply: FastifyReply): ReadyReport {
  const failed = Object.entries(checks).filter(([, c]) => !c.ok);
  const status = failed.some(([, c]) => c.critical) ? 'not_ready' : failed.length ? 'degraded' : 'ready';
  reply.code(status === 'not_ready' ? 503 : 200);
  return { status, service, reasons: failed.map(([name, c]) => `${name}: ${c.reason ?? 'failed'}`), checks };
}

/** `fn()`, or `fallback` when it throws or takes longer than `ms` (a readiness probe must answer fast). */
export async function within<T>(fn: () => Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<T>((ok) => (timer = setTimeout(() => ok(fallback), ms)))]);
  } catch {
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}

/** Outbox lag above this (oldest pending row, seconds) marks a service degraded. */
export const OUTBOX_LAG_WARN_SEC = 120;
