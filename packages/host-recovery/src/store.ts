// Re-ingestion into call_events exactly as the live path stores events (services/call-intake's
// event-store: same columns, same idempotency key, `on conflict do nothing`), plus origin 'recovered'.
// An event the host did deliver after all, or an earlier run stored, hits the unique
// (enterprise, idempotency_key) and changes nothing. call-intake's processor picks the new rows up on
// its next poll (PROCESSOR_POLL_MS) and applies them in id order — the order given here.
import type { Sql } from '@fleet/db';
import type { RecoveredEvent } from './to-event.ts';

const CHUNK = 500;

/** Stores `events` in order. Returns how many were new and how many were already stored. */
export async function storeRecovered(
  sql: Sql,
  enterprise: string,
  events: RecoveredEvent[],
): Promise<{ ingested: number; duplicates: number }> {
  let ingested = 0;
  for (let i = 0; i < events.length; i += CHUNK) {
    const batch = events.slice(i, i + CHUNK);
    // One statement per chunk: ids are taken in array order (unnest keeps it), so the processor sees
    // the posts in the order the host made them.
    const rows = await sql`
      insert into call_events (enterprise, event_type, unique_id, idempotency_key, body, received_at, origin)
      select ${enterprise}, t, u, k, b, r, 'recovered' from unnest(
        ${batch.map((e) => e.type)}::text[],
        ${batch.map((e) => e.uniqueId)}::text[],
        ${batch.map((e) => e.idempotencyKey)}::text[],
        ${batch.map((e) => JSON.stringify(e.body))}::text[]::jsonb[],
        ${batch.map((e) => new Date(e.receivedAt).toISOString())}::timestamptz[]) with ordinality as x(t, u, k, b, r, n)
      order by n
      on conflict (enterprise, idempotency_key) do nothing
      returning id`;
    ingested += rows.length;
  }
  return { ingested, duplicates: events.length - ingested };
}
