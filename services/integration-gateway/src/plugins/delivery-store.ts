// SQL of the delivery outbox (sql/003_outbox.sql). The per-call mutex is the call's
// gateway_call_progress row, locked FOR UPDATE SKIP LOCKED: whoever holds it delivers that call's next
// pending row, so two gateway instances never deliver the same row and a call's rows go out in id order.
import type { TransactionSql } from 'postgres';
import type { Sql } from '@fleet/db';
import type { Integration } from '../domain/enablement.ts';
import type { ForwardBody } from '../domain/payload.ts';

/** The transaction a per-call step runs in. */
export type Tx = TransactionSql<Record<string, never>>;

/** One call of one integration: the unit of ordering. */
export interface CallKey {
  enterprise: string;
  integration: Integration;
  call_id: string;
}

export interface DeliveryRow extends CallKey {
  id: string;
  event_type: 'dial' | 'hangup';
  dedup_key: string;
  payload: ForwardBody;
  attempts: number;
  due: boolean;
  age_ms: number;
}

export interface Progress {
  dial_done: boolean;
  hangup_done: boolean;
}

/**
 * Inserts one pending delivery per integration (idempotent on the unique key) and the calls' progress
 * rows, atomically in ONE statement (no BEGIN/COMMIT round trips on the dispatch path). Returns how
 * many deliveries were new.
 */
export async function insertDeliveries(sql: Sql, integrations: Integration[], body: ForwardBody): Promise<number> {
  if (integrations.length === 0) return 0;
  const [row] = await sql<{ inserted: number }[]>`
    with d as (
      insert into gateway_deliveries (enterprise, integration, call_id, event_type, dedup_key, payload)
      select ${body.enterprise}, i, ${body.callId}, ${body.event_type}, ${body.dedup_key}, ${sql.json(body as never)}
      from unnest(${integrations}::text[]) as i
      on conflict (enterprise, integration, call_id, dedup_key) do nothing
      returning id),
    p as (
      insert into gateway_call_progress (enterprise, integration, call_id)
      select ${body.enterprise}, i, ${body.callId} from unnest(${integrations}::text[]) as i
      on conflict do nothing)
    select count(*)::int as inserted from d`;
  return row?.inserted ?? 0;
}

/**
 * Calls whose first pending delivery is due, longest due first. Ordered as the partial index
 * gateway_deliveries_due is (next_attempt_at, id), so the scan stops after `limit` rows: ordering by
 * id alone made every poll sort the whole due backlog, which grew with the backlog under load. Order
 * across calls is free; within a call the step takes the head row by id.
 */
export function dueCalls(sql: Sql, limit: number): Promise<CallKey[]> {
  return sql<CallKey[]>`
    select d.enterprise, d.integration, d.call_id
    from gateway_deliveries d
    where d.status = 'pending' and d.next_attempt_at <= now()
      and not exists (
        select 1 from gateway_deliveries e
        where e.enterprise = d.enterprise and e.integration = d.integration and e.call_id = d.call_id
          and e.status = 'pending' and e.id < d.id)
    order by d.next_attempt_at, d.id
    limit ${limit}`;
}

/** Locks the call's progress row (creating it if missing); null when another transaction holds it. */
export async function lockCall(tx: Tx, k: CallKey): Promise<Progress | null> {
  const [p] = await tx<Progress[]>`
    select dial_done, hangup_done from gateway_call_progress
    where enterprise = ${k.enterprise} and integration = ${k.integration} and call_id = ${k.call_id}
    for update skip locked`;
  if (p) return p;
  // Missing row: our insert holds it; a concurrent inserter waits for us and then does nothing.
  const [created] = await tx<Progress[]>`
    insert into gateway_call_progress (enterprise, integration, call_id)
    values (${k.enterprise}, ${k.integration}, ${k.call_id})
    on conflict do nothing
    returning dial_done, hangup_done`;
  return created ?? null;
}

/** The call's first pending delivery (by id), with whether it is due and its age (ms). */
export async function headDelivery(tx: Tx, k: CallKey): Promise<DeliveryRow | null> {
  const [row] = await tx<DeliveryRow[]>`
    select id, enterprise, integration, call_id, event_type, dedup_key, payload, attempts,
           next_attempt_at <= now() as due,
           (extract(epoch from clock_timestamp() - created_at) * 1000)::float8 as age_ms
    from gateway_deliveries
    where enterprise = ${k.enterprise} and integration = ${k.integration} and call_id = ${k.call_id}
      and status = 'pending'
    order by id
    limit 1`;
  return row ?? null;
}

/**
 * Marks a delivery done and records what the integration now knows about the call: one statement
 * (one round trip while the call's lock is held) instead of two.
 */
export async function markDone(tx: Tx, row: DeliveryRow): Promise<void> {
  await tx`
    with done as (
      update gateway_deliveries
      set status = 'done', attempts = attempts + 1, delivered_at = now(), last_error = null
      where id = ${row.id})
    update gateway_call_progress
    set ${row.event_type === 'dial' ? tx`dial_done = true` : tx`hangup_done = true`}, updated_at = now()
    where enterprise = ${row.enterprise} and integration = ${row.integration} and call_id = ${row.call_id}`;
}

/** Sets dial_done or hangup_done of the call. */
export async function markProgress(tx: Tx, k: CallKey, what: 'dial' | 'hangup'): Promise<void> {
  await tx`
    update gateway_call_progress
    set ${what === 'dial' ? tx`dial_done = true` : tx`hangup_done = true`}, updated_at = now()
    where enterprise = ${k.enterprise} and integration = ${k.integration} and call_id = ${k.call_id}`;
}

/** Records the synthetic dial that was delivered before a hangup (audit trail, never re-sent). */
export async function recordSyntheticDial(tx: Tx, k: CallKey, body: ForwardBody): Promise<void> {
  await tx`
    insert into gateway_deliveries
      (enterprise, integration, call_id, event_type, dedup_key, payload, status, attempts, delivered_at)
    values (${k.enterprise}, ${k.integration}, ${k.call_id}, 'dial', ${body.dedup_key}, ${tx.json(body as never)},
            'done', 1, now())
    on conflict do nothing`;
  await markProgress(tx, k, 'dial');
}

/** A dial that arrives after the integration was told the call ended: sending it would reopen a popup. */
export async function markSuperseded(tx: Tx, row: DeliveryRow): Promise<void> {
  await tx`update gateway_deliveries set status = 'superseded', last_error = 'hangup already delivered' where id = ${row.id}`;
}

/** A delivery whose integration was switched off before it went out. */
export async function markDisabled(tx: Tx, row: DeliveryRow): Promise<void> {
  await tx`update gateway_deliveries set status = 'disabled', last_error = 'integration disabled' where id = ${row.id}`;
}

/** Puts a failed delivery back with its next attempt `delayMs` from now. */
export async function reschedule(tx: Tx, row: DeliveryRow, delayMs: number, error: string, attempted: boolean): Promise<void> {
  await tx`
    update gateway_deliveries
    set attempts = attempts + ${attempted ? 1 : 0}, last_error = ${error},
        next_attempt_at = now() + ${delayMs} * interval '1 millisecond'
    where id = ${row.id}`;
}

export interface DeadLetter {
  error: string;
  url: string;
  upstreamStatus?: number;
  response?: string;
  attempted: boolean;
}

/** Gives a delivery up: status dead plus an integration_logs row of kind 'dead_letter'. */
export async function markDead(tx: Tx, row: DeliveryRow, d: DeadLetter): Promise<void> {
  await tx`
    update gateway_deliveries
    set status = 'dead', attempts = attempts + ${d.attempted ? 1 : 0}, last_error = ${d.error}
    where id = ${row.id}`;
  await tx`
    insert into integration_logs
      (enterprise, integration, kind, call_id, phone, method, url, request, status_code, response, ok, error)
    values (${row.enterprise}, ${row.integration}, 'dead_letter', ${row.call_id}, ${row.payload.call?.phone ?? null},
            'POST', ${d.url}, ${tx.json(row.payload as never)}, ${d.upstreamStatus ?? null}, ${d.response ?? null},
            false, ${d.error})`;
}

/** Deliveries per status, e.g. `{ pending: 2, done: 10, dead: 1 }`. */
export async function deliveryCounts(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from gateway_deliveries group by status`;
  const out: Record<string, number> = { pending: 0, done: 0, superseded: 0, disabled: 0, dead: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

/** The most recent dead letters. */
export function recentDeadLetters(sql: Sql, limit = 20) {
  return sql`
    select id, enterprise, integration, call_id, status_code, error, created_at
    from integration_logs where kind = 'dead_letter'
    order by id desc limit ${limit}`;
}
