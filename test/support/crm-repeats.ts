// Which repeated call/event copies at the CRM are explained. RetailCRM's call/event has no idempotency
// key, so a copy can legitimately arrive twice when the fleet could not know the first one landed:
//   - an attempt journalled in integration_logs without an answer status (a timeout, a network error,
//     or a row left 'sent' because the retailcrm process was killed mid-request), or
//   - a copy the fake accepted just before the retailcrm process was killed (≤ 2 s: its answer was
//     read but the step not yet marked done).
// Any other repeat is a failure. The fault suite (test/faults/counts.ts, hangups) and the e2e suites
// (popups per extension too) judge copies with this one rule.
import type { Sql } from '@fleet/db';

/** An attempt whose outcome the fleet could not know: type, codes, call. */
export interface UnknownAttempt {
  callId: string;
  type: string;
  codes: string[];
}

/** call/event attempts RetailCRM may have performed without the fleet knowing (integration_logs). */
export async function unknownAttempts(sql: Sql): Promise<UnknownAttempt[]> {
  const rows = await sql<{ call_id: string; type: string; codes: string[] | null }[]>`
    select call_id, request->'event'->>'type' as type, request->'event'->'codes' as codes from integration_logs
    where kind = 'call.event' and status_code is null and coalesce(error, '') not like 'RCRM_NOT_SENT%'`;
  return rows.map((r) => ({
    callId: r.call_id,
    type: r.type,
    codes: Array.isArray(r.codes) ? r.codes.map(String) : [],
  }));
}

/** A copy received at most this long before a kill of the retailcrm process is explained by it. */
export const NEAR_KILL_MS = 2000;

/**
 * How many of the copies that arrived at `copies` (receivedAt, in order; one is the real one) are
 * repeats nothing explains: each unknown-outcome attempt explains one, and so does each copy but the
 * last that arrived within NEAR_KILL_MS before one of `kills`.
 */
export function unexplainedRepeats(copies: readonly number[], unknown: number, kills: readonly number[]): number {
  const extra = copies.length - 1;
  if (extra <= 0) return 0;
  const nearKill = copies.slice(0, -1).filter((t) => kills.some((k) => t <= k && t >= k - NEAR_KILL_MS)).length;
  return extra - Math.min(extra, Math.min(extra, unknown) + nearKill);
}

/**
 * The extensions of `rang` that no popup reached and that no unknown-outcome popup attempt of the call
 * explains. A popup attempt cut by a kill after it was journalled (or one that timed out) may or may
 * not have reached RetailCRM, and call/event is never repeated after an unknown outcome (issue 12:
 * "unless the journal proves it was not sent"), so its popup may be missing; any other gap is a failure.
 */
export function unexplainedMissingPopups(
  callId: string,
  rang: readonly string[],
  popped: ReadonlySet<string>,
  unknown: readonly UnknownAttempt[],
): string[] {
  const attempted = new Set(unknown.filter((a) => a.callId === callId && a.type !== 'hangup').flatMap((a) => a.codes));
  return rang.filter((code) => !popped.has(code) && !attempted.has(code));
}
