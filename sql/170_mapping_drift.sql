-- Mapping drift (issue 14 item 4): RetailCRM's call/event answer lists the extensions it knows no user
-- for (notExistCodes) and the user ids it does not know (notExistUsers): the popup reached nobody there.
-- The retailcrm service notes each one when the answer carries it (routes/call-event.ts) so the admin
-- page can say «внутренний номер 153 не сопоставлен в RetailCRM»; /metrics counts every occurrence.
-- Saving the managers' mapping from the admin page clears the enterprise's rows (the next answers tell
-- again what is still missing).
create table retailcrm_mapping_drift (
  enterprise    text not null references enterprises(number) on delete cascade,
  kind          text not null check (kind in ('code', 'user')),
  value         text not null check (length(value) between 1 and 40),
  seen          integer not null default 1,
  first_seen_at timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  last_call_id  text not null,
  primary key (enterprise, kind, value)
);
