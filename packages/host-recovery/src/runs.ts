// recovery_runs: one row per run, written when it starts (status 'running') and when it ends, so an
// operator sees a run in progress and one that died half way.
import type { Sql } from '@fleet/db';
import type { RecoverySummary } from './run.ts';

export async function startRun(
  sql: Sql,
  enterprise: string,
  host: string,
  trigger: 'schedule' | 'cli',
): Promise<number> {
  const [row] = await sql<{ id: string }[]>`
    insert into recovery_runs (enterprise, host, trigger) values (${enterprise}, ${host}, ${trigger}) returning id`;
  return Number(row!.id);
}

export async function finishRun(sql: Sql, s: RecoverySummary): Promise<void> {
  await sql`
    update recovery_runs set status = ${s.status}, files = ${sql.json(s.files as never)}, rows_found = ${s.rowsFound},
      rows_ingested = ${s.rowsIngested}, duplicates = ${s.duplicates}, rows_invalid = ${s.rowsInvalid},
      errors = ${sql.json(s.errors as never)}, finished_at = now(), duration_ms = ${s.durationMs}
    where id = ${s.runId}`;
}
