-- The admin page's «Звонки» tab (issue 14 item 3): "called back" = a later answered customer call with the
-- same client number, compared on the national significant number (@fleet/validate's nationalNumber, the
-- fleet's one rule). `calls.phone` is the number as the host sent it, in any spelling, so the retailcrm
-- service stores nationalNumber(spelling) here when it first meets a spelling (admin/calls-read.ts): the
-- rule stays in TypeScript, and a pure function of the spelling never goes stale. Should the rule ever
-- change, a migration truncates this table and the next read refills it.
create table retailcrm_phone_keys (
  phone     text primary key,
  phone_key text not null
);
create index retailcrm_phone_keys_key on retailcrm_phone_keys (phone_key);

-- A missed call's callback: the enterprise's customer calls with one of the number's spellings, after it.
create index calls_customer_phone on calls (enterprise, phone, started_at) where kind = 'customer';

-- The task a listed missed call belongs to (by number, then its calls), whatever its status.
create index retailcrm_missed_tasks_phone on retailcrm_missed_tasks (enterprise, phone_key);
