// The «Звонки» tab (issue 14 item 3): the enterprise's customer calls from call-intake's `calls`
// projection, newest first, one page at a time, with what became of each missed call, and per day and
// per manager the missed calls and the median time to callback over the whole period.
//   missed:      an incoming customer call that ended with nobody answering, on a desk phone or a mobile
//                (the rule of missed-call tasks, domain/missed-call-task.ts isMissedCall);
//   called back: a later customer call with the same client number (nationalNumber, via
//                retailcrm_phone_keys) that was answered, in either direction; time to callback = its
//                answer − the missed call's start (how long the client waited for us);
//   open:        missed and not called back yet.
// Names come from what the service already has: the operator's extension directory and the customer
// lookup cache (a blank name rather than a RetailCRM request per row).
import type { Sql } from '@fleet/db';
import { recordUrlOf } from '@fleet/retailcrm-client';
import { nationalNumber } from '@fleet/validate/national-number';
import { localTime } from '../domain/missed-call-task.ts';
import { CALLS_PAGE_SIZE, type CallFilter, type CallsQuery } from './calls-query.ts';

export interface CallManager {
  /** The extension, or null for an unmapped mobile. */
  extension: string | null;
  /** Directory name, else the mobile's number, else null. */
  name: string | null;
  /** The RetailCRM user mapped to the extension. */
  userId: number | null;
}

export interface CallRow {
  callId: string;
  at: string;
  /** 'дд.мм.гггг чч:мм' in the enterprise's zone. */
  local: string;
  direction: 'in' | 'out';
  phone: string;
  /** From the customer lookup cache; null when not cached or unknown. */
  customer: string | null;
  manager: CallManager | null;
  status: 'ringing' | 'talking' | 'ended';
  result: string | null;
  durationSec: number | null;
  recordUrl: string | null;
  missed: boolean;
  callback: { callId: string; at: string; local: string; afterSec: number; direction: 'in' | 'out' } | null;
  task: { id: number | null; status: string; closeReason: string | null } | null;
}

export interface MissedStats {
  missed: number;
  calledBack: number;
  open: number;
  /** Median seconds from a missed call to its callback; null without callbacks. */
  medianSec: number | null;
}

export interface CallsPage {
  query: CallsQuery;
  timezone: string;
  total: number;
  page: number;
  pageSize: number;
  rows: CallRow[];
  counts: { all: number } & MissedStats;
  days: Array<{ day: string; calls: number } & MissedStats>;
  managers: Array<{ manager: CallManager | null } & MissedStats>;
}

const FILTERS: Record<CallFilter, (sql: Sql) => ReturnType<Sql>> = {
  all: (sql) => sql`true`,
  missed: (sql) => sql`missed`,
  'called-back': (sql) => sql`missed and callback_at is not null`,
  open: (sql) => sql`missed and callback_at is null`,
};

/** Spellings met per read at most: a first read over a busy quarter takes a few reads to learn them all. */
const LEARN_BATCH = 20_000;

/**
 * Stores nationalNumber() of every client-number spelling of the enterprise's customer calls since
 * `since` that retailcrm_phone_keys does not know yet (sql/140_admin_calls.sql).
 */
export async function learnPhoneKeys(sql: Sql, enterprise: string, since: Date): Promise<number> {
  const rows = await sql<{ phone: string }[]>`
    select distinct c.phone from calls c
    where c.enterprise = ${enterprise} and c.kind = 'customer' and c.started_at >= ${since}
      and not exists (select 1 from retailcrm_phone_keys k where k.phone = c.phone)
    limit ${LEARN_BATCH}`;
  if (!rows.length) return 0;
  const phones = rows.map((r) => r.phone);
  await sql`
    insert into retailcrm_phone_keys (phone, phone_key)
    select * from unnest(${phones}::text[], ${phones.map(nationalNumber)}::text[])
    on conflict (phone) do nothing`;
  return phones.length;
}

const stats = (r: { missed: number; called_back: number; median_sec: number | null }): MissedStats => ({
  missed: r.missed,
  calledBack: r.called_back,
  open: r.missed - r.called_back,
  medianSec: r.median_sec === null ? null : Math.round(r.median_sec),
});

/** One page of the enterprise's customer calls and the period's summary. */
export async function readCalls(
  sql: Sql,
  enterprise: string,
  q: CallsQuery,
  customerName: (phone: string) => string | undefined,
): Promise<CallsPage> {
  const [ent] = await sql<{ timezone: string; tpl: string | null; ext: Record<string, unknown> | null }[]>`
    select timezone, integrations_config->'retailcrm'->>'record_url_template' as tpl,
           integrations_config->'retailcrm'->'user_extensions' as ext
    from enterprises where number = ${enterprise}`;
  const tz = ent!.timezone;
  const [range] = await sql<{ t0: Date; t1: Date }[]>`
    select (${q.from}::date)::timestamp at time zone ${tz} as t0, (${q.to}::date + 1)::timestamp at time zone ${tz} as t1`;
  const { t0, t1 } = range!;
  while ((await learnPhoneKeys(sql, enterprise, t0)) === LEARN_BATCH);

  const [r] = await sql<
    {
      total: number;
      rows: Array<Record<string, unknown>>;
      counts: { all: number; missed: number; called_back: number; median_sec: number | null };
      days: Array<{ day: string; calls: number; missed: number; called_back: number; median_sec: number | null }>;
      managers: Array<{ ext: string | null; missed: number; called_back: number; median_sec: number | null }>;
    }[]
  >`
    with base as (
      select c.call_id, c.direction, c.phone, c.ringing, c.answered_by, c.status, c.result, c.started_at,
             c.duration_sec, k.phone_key,
             (c.direction = 'in' and c.status = 'ended' and c.answered_at is null) as missed
      from calls c left join retailcrm_phone_keys k on k.phone = c.phone
      where c.enterprise = ${enterprise} and c.kind = 'customer' and c.direction <> 'internal'
        and c.started_at >= ${t0} and c.started_at < ${t1}
    ),
    classified as materialized (
      select b.*, cb.call_id as callback_id, cb.answered_at as callback_at, cb.direction as callback_direction,
             extract(epoch from cb.answered_at - b.started_at) as callback_sec
      from base b left join lateral (
        select c2.call_id, c2.answered_at, c2.direction
        from retailcrm_phone_keys k2
        join calls c2 on c2.enterprise = ${enterprise} and c2.phone = k2.phone and c2.kind = 'customer'
        where b.missed and length(b.phone_key) >= 6 and k2.phone_key = b.phone_key
          and c2.started_at > b.started_at and c2.answered_at is not null
        order by c2.answered_at limit 1
      ) cb on true
    ),
    filtered as (select * from classified where ${FILTERS[q.filter](sql)})
    select
      (select count(*)::int from filtered) as total,
      (select coalesce(jsonb_agg(p order by p.started_ms desc, p.call_id desc), '[]') from (
         select call_id, direction, phone, ringing[1] as first_rang, answered_by, status, result, duration_sec, missed,
                phone_key, callback_id, callback_direction, callback_sec,
                (extract(epoch from started_at) * 1000)::bigint as started_ms,
                (extract(epoch from callback_at) * 1000)::bigint as callback_ms
         from filtered order by started_at desc, call_id desc
         limit ${CALLS_PAGE_SIZE} offset ${(q.page - 1) * CALLS_PAGE_SIZE}) p) as rows,
      (select jsonb_build_object('all', count(*), 'missed', count(*) filter (where missed),
                'called_back', count(*) filter (where callback_at is not null),
                'median_sec', percentile_cont(0.5) within group (order by callback_sec))
       from classified) as counts,
      (select coalesce(jsonb_agg(d order by d.day), '[]') from (
         select to_char(started_at at time zone ${tz}, 'YYYY-MM-DD') as day, count(*)::int as calls,
                count(*) filter (where missed)::int as missed,
                count(*) filter (where callback_at is not null)::int as called_back,
                percentile_cont(0.5) within group (order by callback_sec) as median_sec
         from classified group by 1) d) as days,
      (select coalesce(jsonb_agg(m order by m.missed desc, m.ext), '[]') from (
         select ringing[1] as ext, count(*)::int as missed,
                count(*) filter (where callback_at is not null)::int as called_back,
                percentile_cont(0.5) within group (order by callback_sec) as median_sec
         from classified where missed group by 1) m) as managers`;

  const page = r!.rows;
  const ids = page.map((x) => x.call_id as string);
  const keys = [...new Set(page.map((x) => x.phone_key as string | null).filter((k): k is string => !!k))];
  const [dir, tasks, uploads] = await Promise.all([
    sql<{ extension: string; name: string; mobile: string | null }[]>`
      select extension, name, mobile from extension_directory where enterprise = ${enterprise}`,
    ids.length && keys.length
      ? sql<{ call_id: string; task_id: string | null; status: string; close_reason: string | null }[]>`
          select e->>'callId' as call_id, t.task_id::text, t.status, t.close_reason
          from retailcrm_missed_tasks t, jsonb_array_elements(t.calls) e
          where t.enterprise = ${enterprise} and t.phone_key = any(${keys}::text[]) and e->>'callId' = any(${ids}::text[])
          order by t.id`
      : [],
    // The link RetailCRM got with the history record (the host's record_url or the template).
    ids.length
      ? sql<{ call_id: string; url: string | null }[]>`
          select distinct on (call_id) call_id, request->'calls'->0->>'recordUrl' as url
          from integration_logs
          where enterprise = ${enterprise} and call_id = any(${ids}::text[]) and kind = 'calls.upload' and ok
          order by call_id, id desc`
      : [],
  ]);
  const names = new Map(dir.map((d) => [d.extension, d.name]));
  const mobiles = new Map(dir.filter((d) => d.mobile).map((d) => [d.mobile!, d.extension]));
  const users = new Map<string, number>();
  for (const [user, ext] of Object.entries(ent!.ext ?? {}))
    if (/^\d+$/.test(user) && (typeof ext === 'string' || typeof ext === 'number'))
      users.set(String(ext), Number(user));
  const managerOf = (who: string | null): CallManager | null => {
    if (!who) return null;
    const ext = /^\d{2,5}$/.test(who) ? who : mobiles.get(who.replace(/\D/g, ''));
    if (!ext) return { extension: null, name: who, userId: null };
    return { extension: ext, name: names.get(ext) ?? null, userId: users.get(ext) ?? null };
  };
  const taskOf = new Map(
    tasks.map((t) => [
      t.call_id,
      { id: t.task_id === null ? null : Number(t.task_id), status: t.status, closeReason: t.close_reason },
    ]),
  );
  const recorded = new Map(uploads.map((u) => [u.call_id, u.url]));
  const templateUrl = (callId: string, answered: boolean) => {
    try {
      return recordUrlOf(ent!.tpl, enterprise, { callId, answered }) ?? null;
    } catch {
      return null; // a template the settings check refuses (RCRM_CONFIG_INVALID): no link rather than a 500
    }
  };

  const rows = page.map((x): CallRow => {
    const callId = x.call_id as string;
    const phone = x.phone as string;
    const startedMs = Number(x.started_ms);
    const callbackMs = x.callback_ms === null ? null : Number(x.callback_ms);
    const answered = (x.answered_by as string | null) !== null;
    return {
      callId,
      at: new Date(startedMs).toISOString(),
      local: localTime(startedMs, tz),
      direction: x.direction as 'in' | 'out',
      phone,
      customer: customerName(phone) || null,
      manager: managerOf((x.answered_by as string | null) ?? (x.first_rang as string | null)),
      status: x.status as CallRow['status'],
      result: (x.result as string | null) ?? null,
      durationSec: (x.duration_sec as number | null) ?? null,
      recordUrl: recorded.get(callId) || templateUrl(callId, answered),
      missed: x.missed as boolean,
      callback:
        callbackMs === null
          ? null
          : {
              callId: x.callback_id as string,
              at: new Date(callbackMs).toISOString(),
              local: localTime(callbackMs, tz),
              afterSec: Math.round(x.callback_sec as number),
              direction: x.callback_direction as 'in' | 'out',
            },
      task: taskOf.get(callId) ?? null,
    };
  });
  return {
    query: q,
    timezone: tz,
    total: r!.total,
    page: q.page,
    pageSize: CALLS_PAGE_SIZE,
    rows,
    counts: { all: r!.counts.all, ...stats(r!.counts) },
    days: r!.days.map((d) => ({ day: d.day, calls: d.calls, ...stats(d) })),
    managers: r!.managers.map((m) => ({ manager: managerOf(m.ext), ...stats(m) })),
  };
}
