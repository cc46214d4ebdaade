// One recovery run for one enterprise: lock → host → yesterday's and today's post logs over SFTP →
// failed posts → the events the live path would have stored → call_events (origin 'recovered') → the
// run's row in recovery_runs. Every failure is an entry of the run's errors, never an exception out of
// here, except "not found / inactive / already running" which the caller reports.
import { posix } from 'node:path';
import type { Sql } from '@fleet/db';
import { openConnection, targetName, type HostTarget } from '@fleet/asterisk-host';
import { RecoveryError } from './errors.ts';
import { fetchLog } from './fetch-log.ts';
import { logFileName, recoveryDates } from './local-time.ts';
import type { LogReader } from './log-rows.ts';
import { finishRun, startRun } from './runs.ts';
import { storeRecovered } from './store.ts';
import { toRecoveredEvent, type RecoveredEvent } from './to-event.ts';

export interface RecoveryDeps {
  sql: Sql;
  reader: LogReader;
  /** SSH handshake deadline (ms). */
  connectTimeoutMs: number;
  /** Deadline of fetching one file (ms). */
  fetchTimeoutMs: number;
  /** Largest log file fetched (bytes). */
  maxFileBytes: number;
  now?: () => number;
}

export interface FileReport {
  date: string;
  file: string;
  bytes: number | null;
  /** Posts in the file, and failed ones among them (null when it could not be read). */
  posts: number | null;
  failedPosts: number | null;
  error: { code: string; message: string } | null;
}

export interface RecoveryIssue {
  file?: string;
  code: string;
  message: string;
}

export interface RecoverySummary {
  runId: number;
  enterprise: string;
  host: string;
  status: 'ok' | 'partial' | 'failed';
  files: FileReport[];
  rowsFound: number;
  rowsIngested: number;
  duplicates: number;
  rowsInvalid: number;
  errors: RecoveryIssue[];
  durationMs: number;
}

/** Why a run did not start: the caller turns these into exit codes or log lines. */
export class RecoveryRefused extends Error {
  constructor(
    readonly reason: 'not-found' | 'no-host' | 'inactive' | 'locked',
    message: string,
  ) {
    super(message);
  }
}

/** Advisory lock namespace of recovery runs (pg_try_advisory_lock(ns, hashtext(enterprise))). */
const LOCK_NS = 0x7ec0;
/** Invalid rows listed one by one in the run's errors; the rest are only counted. */
const MAX_ROW_ISSUES = 20;

interface HostRow {
  number: string;
  active: boolean;
  host_token: string;
  timezone: string;
  host: string | null;
  port: number;
  username: string;
  key_file: string;
  host_key: string;
  log_dir: string;
}

/**
 * Runs recovery of `enterprise` for `dates` (host-local YYYY-MM-DD; default yesterday and today in the
 * enterprise's zone). At most one run per enterprise at a time across every process (a session
 * advisory lock on a reserved connection). @throws RecoveryRefused.
 */
export async function runRecovery(
  deps: RecoveryDeps,
  req: { enterprise: string; trigger: 'schedule' | 'cli'; dates?: string[] },
): Promise<RecoverySummary> {
  const conn = await deps.sql.reserve();
  try {
    const [lock] = await conn<
      { ok: boolean }[]
    >`select pg_try_advisory_lock(${LOCK_NS}, hashtext(${req.enterprise})) as ok`;
    if (!lock!.ok) throw new RecoveryRefused('locked', `a recovery of enterprise ${req.enterprise} is already running`);
    try {
      return await locked(deps, req);
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_NS}, hashtext(${req.enterprise}))`;
    }
  } finally {
    conn.release();
  }
}

async function locked(
  deps: RecoveryDeps,
  req: { enterprise: string; trigger: 'schedule' | 'cli'; dates?: string[] },
): Promise<RecoverySummary> {
  const { sql } = deps;
  const started = Date.now();
  const now = deps.now?.() ?? started;
  const [row] = await sql<HostRow[]>`
    select e.number, e.active, e.host_token, e.timezone, h.host, h.port, h.username, h.key_file, h.host_key, h.log_dir
    from enterprises e left join asterisk_hosts h on h.enterprise = e.number where e.number = ${req.enterprise}`;
  if (!row) throw new RecoveryRefused('not-found', `enterprise ${req.enterprise} not found`);
  if (!row.host)
    throw new RecoveryRefused('no-host', `enterprise ${req.enterprise} has no Asterisk host (fleet host set)`);
  // The live path answers 403 and stores nothing for an inactive enterprise; recovery does the same.
  if (!row.active) throw new RecoveryRefused('inactive', `enterprise ${req.enterprise} is inactive`);
  const target: HostTarget = {
    host: row.host,
    port: row.port,
    username: row.username,
    keyFile: row.key_file,
    hostKey: row.host_key,
  };
  const s: RecoverySummary = {
    runId: await startRun(sql, req.enterprise, targetName(target), req.trigger),
    enterprise: req.enterprise,
    host: targetName(target),
    status: 'ok',
    files: [],
    rowsFound: 0,
    rowsIngested: 0,
    duplicates: 0,
    rowsInvalid: 0,
    errors: [],
    durationMs: 0,
  };
  try {
    await collect(deps, row, target, req.dates ?? recoveryDates(now, row.timezone), now, s);
  } catch (err) {
    // Storing failed (database): the run is failed, the next one redoes it (idempotent).
    s.errors.push({
      code: (err as { code?: string }).code ?? 'AST_RECOVERY_INTERNAL',
      message: (err as Error).message,
    });
    s.status = 'failed';
  }
  s.durationMs = Date.now() - started;
  await finishRun(sql, s);
  return s;
}

async function collect(
  deps: RecoveryDeps,
  row: HostRow,
  target: HostTarget,
  dates: string[],
  now: number,
  s: RecoverySummary,
): Promise<void> {
  let ssh;
  try {
    ssh = await openConnection(target, { connectTimeoutMs: deps.connectTimeoutMs });
  } catch (err) {
    // HostError: key mismatch (refused), unreachable, auth, timeout — with its own code and reason.
    s.errors.push({ code: (err as { code?: string }).code ?? 'AST_RECOVERY_HOST', message: (err as Error).message });
    s.status = 'failed';
    return;
  }
  const events: RecoveredEvent[] = [];
  try {
    for (const date of dates) {
      const file = posix.join(row.log_dir, logFileName(date));
      const report: FileReport = { date, file, bytes: null, posts: null, failedPosts: null, error: null };
      s.files.push(report);
      try {
        const image = await fetchLog(ssh, file, { maxBytes: deps.maxFileBytes, timeoutMs: deps.fetchTimeoutMs });
        report.bytes = image.length;
        const { total, failed } = await deps.reader.failedPosts(image);
        report.posts = total;
        report.failedPosts = failed.length;
        s.rowsFound += failed.length;
        for (const post of failed) {
          const c = toRecoveredEvent(post, {
            timeZone: row.timezone,
            enterpriseToken: row.host_token,
            fallbackMs: now,
          });
          if (c.ok) events.push(c.event);
          else {
            s.rowsInvalid++;
            if (s.rowsInvalid <= MAX_ROW_ISSUES)
              s.errors.push({ file, code: 'AST_RECOVERY_ROW_INVALID', message: `row ${post.id}: ${c.reason}` });
          }
        }
      } catch (err) {
        if (!(err instanceof RecoveryError)) throw err;
        report.error = { code: err.code, message: err.message };
        s.errors.push({ file, code: err.code, message: err.message });
      }
    }
  } finally {
    ssh.dispose();
  }
  const stored = await storeRecovered(deps.sql, row.number, events);
  s.rowsIngested = stored.ingested;
  s.duplicates = stored.duplicates;
  const read = s.files.filter((f) => f.error === null).length;
  s.status = s.errors.length === 0 ? 'ok' : read > 0 ? 'partial' : 'failed';
}
