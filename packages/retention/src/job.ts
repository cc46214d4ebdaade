// One service's retention: a pass over its rules every interval (randomised, so instances and
// restarts spread out), at most one pass per job name across the fleet (a session advisory lock on a
// reserved connection: a second instance finds it held and skips its pass; the lock goes with the
// connection if the process dies).
import type { Sql } from '@fleet/db';
import { sweep, type RetentionRule } from './sweep.ts';

/** Advisory lock namespace (first key) of retention passes; the second key is hashtext(job name). */
export const RETENTION_LOCK_NS = 0x7265_7465; // 'rete'
const DAY_MS = 86_400_000;

export interface RetentionLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RetentionJobOptions {
  sql: Sql;
  /** Names the job in the lock, the logs and the metrics (the owning service: 'call-intake'…). */
  name: string;
  rules: RetentionRule[];
  /** Mean ms between passes; each wait is drawn from ×0.5–1.5 of it. 0 = no schedule (runOnce only). */
  intervalMs: number;
  /** Rows per id-walk statement (default 1000). */
  batchRows?: number;
  /** Heap pages per heap-walk statement (default 64, 512 KiB). */
  pages?: number;
  /** Wall clock, ms (tests move it; default Date.now). Cutoffs are computed from it. */
  now?: () => number;
  /** [0, 1) (tests pin the jitter; default Math.random). */
  random?: () => number;
  log?: RetentionLog;
  /** Told after each table of a pass: rows removed, or the error that ended that table's sweep. */
  onTable?: (table: string, deleted: number, err?: unknown) => void;
  /** Told after each pass, also one skipped because another instance held the lock. */
  onPass?: (pass: RetentionPass) => void;
}

export interface RetentionPass {
  /** 'locked': another instance holds this job's lock, nothing was done. */
  status: 'done' | 'locked';
  /** Rows removed per table (tables that failed are in `errors`). */
  deleted: Record<string, number>;
  errors: Record<string, string>;
  durationMs: number;
}

export interface RetentionJob {
  /** One pass now (a pass already running is joined, not repeated). */
  runOnce(): Promise<RetentionPass>;
  /** Starts the schedule (no-op when intervalMs is 0). */
  start(): void;
  /** Stops the schedule; a running pass ends after its current statement. */
  stop(): Promise<void>;
}

/** Bounds on one statement, so a blocked or slow delete fails fast instead of holding what it has. */
const SESSION_LIMITS = `select set_config('statement_timeout', '30s', false), set_config('lock_timeout', '5s', false)`;

export function createRetentionJob(o: RetentionJobOptions): RetentionJob {
  const now = o.now ?? Date.now;
  const random = o.random ?? Math.random;
  const limits = { batchRows: o.batchRows ?? 1000, pages: o.pages ?? 64, stopped: () => stopped };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RetentionPass> | undefined;

  async function pass(): Promise<RetentionPass> {
    const started = now();
    const result: RetentionPass = { status: 'done', deleted: {}, errors: {}, durationMs: 0 };
    const conn = await o.sql.reserve();
    try {
      const [lock] = await conn<
        { ok: boolean }[]
      >`select pg_try_advisory_lock(${RETENTION_LOCK_NS}, hashtext(${o.name})) as ok`;
      if (!lock!.ok) {
        o.onPass?.({ ...result, status: 'locked' });
        return { ...result, status: 'locked' };
      }
      try {
        await conn.unsafe(SESSION_LIMITS);
        for (const rule of o.rules) {
          if (stopped) break;
          const cutoff = new Date(started - rule.days * DAY_MS);
          try {
            const n = await sweep(conn, rule, cutoff, limits);
            result.deleted[rule.table] = n;
            o.onTable?.(rule.table, n);
          } catch (err) {
            // One table failing (a lock timeout, a dropped table) does not keep the others.
            result.errors[rule.table] = (err as Error).message;
            o.log?.warn({ job: o.name, table: rule.table, err }, 'retention of a table failed');
            o.onTable?.(rule.table, 0, err);
          }
        }
      } finally {
        // On a broken connection both fail, and the lock went with the session anyway.
        await conn.unsafe('reset statement_timeout; reset lock_timeout').catch(() => {});
        await conn`select pg_advisory_unlock(${RETENTION_LOCK_NS}, hashtext(${o.name}))`.catch(() => {});
      }
    } finally {
      conn.release();
    }
    result.durationMs = now() - started;
    const total = Object.values(result.deleted).reduce((a, b) => a + b, 0);
    o.log?.[total > 0 ? 'info' : 'debug'](
      { job: o.name, deleted: result.deleted, total, ms: result.durationMs },
      'retention pass finished',
    );
    o.onPass?.(result);
    return result;
  }

  function runOnce(): Promise<RetentionPass> {
    running ??= pass().finally(() => (running = undefined));
    return running;
  }

  function schedule(): void {
    if (stopped || o.intervalMs <= 0) return;
    timer = setTimeout(
      () => {
        runOnce()
          .catch((err) => o.log?.warn({ job: o.name, err }, 'retention pass failed'))
          .finally(schedule);
      },
      Math.round(o.intervalMs * (0.5 + random())),
    );
    timer.unref();
  }

  return {
    runOnce,
    start: schedule,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
