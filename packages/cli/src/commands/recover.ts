// fleet recover: re-ingest now the posts an enterprise's host failed to deliver (issue 7 §7), the
// same run services/asterisk makes on its schedule (src/recovery), from this process: it needs only
// the database and the host's SSH key file. Prints the run's counts; exit 0 when every file was read
// and every failed post was usable, 1 otherwise (the counts say what was done anyway).
import { createLogReader, isIsoDate, RecoveryRefused, runRecovery, type RecoverySummary } from '@fleet/host-recovery';
import { defineCommand } from '../command.ts';
import { conflictError, notFoundError, usageError } from '../errors.ts';
import * as v from '../validate.ts';

/** The service's defaults (services/asterisk/src/config.ts). */
const DEPS = { connectTimeoutMs: 5_000, fetchTimeoutMs: 60_000, maxFileBytes: 64 * 1024 * 1024 };

export function formatRun(s: RecoverySummary): string[] {
  const lines = [
    `recovery run ${s.runId} of enterprise ${s.enterprise} on ${s.host}: ${s.status} in ${s.durationMs} ms`,
  ];
  for (const f of s.files) {
    lines.push(
      f.error
        ? `  ${f.date} ${f.file}: ${f.error.code} ${f.error.message}`
        : `  ${f.date} ${f.file}: ${f.bytes} bytes, ${f.posts} posts, ${f.failedPosts} failed`,
    );
  }
  lines.push(
    `  found ${s.rowsFound}, ingested ${s.rowsIngested}, duplicates ${s.duplicates}, invalid ${s.rowsInvalid}, errors ${s.errors.length}`,
  );
  for (const e of s.errors.filter((e) => !s.files.some((f) => f.error?.code === e.code && f.file === e.file))) {
    lines.push(`  ${e.code}${e.file ? ` ${e.file}` : ''}: ${e.message}`);
  }
  return lines;
}

export const recover = defineCommand({
  group: 'recover',
  name: '',
  summary: "re-ingest the posts an enterprise's host failed to deliver (its post logs over SSH), marked recovered",
  usage: 'fleet recover --enterprise <n> [--date YYYY-MM-DD]   (default: yesterday and today, host-local)',
  options: { enterprise: { type: 'string' }, date: { type: 'string' } },
  parse: (o) => {
    const date = o.date === undefined ? undefined : String(o.date);
    if (date !== undefined && !isIsoDate(date)) throw usageError('--date must be a date written YYYY-MM-DD');
    return { enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'), date };
  },
  async run(i, { sql, out }) {
    let s: RecoverySummary;
    try {
      s = await runRecovery(
        { sql, reader: createLogReader(), ...DEPS },
        { enterprise: i.enterprise, trigger: 'cli', dates: i.date ? [i.date] : undefined },
      );
    } catch (err) {
      if (!(err instanceof RecoveryRefused)) throw err;
      if (err.reason === 'not-found' || err.reason === 'no-host') throw notFoundError(err.message);
      throw conflictError(err.message); // inactive, or another run holds the enterprise
    }
    formatRun(s).forEach((l) => out(l));
    if (s.status !== 'ok') throw new Error(`recovery ${s.status}: ${s.errors.length} error(s), see above`);
  },
});
