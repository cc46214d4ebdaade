-- Recovery of what the hosts failed to deliver (issue 7, section 7). Hosts keep every post they made
-- in a local SQLite log; services/asterisk fetches it over SSH and re-ingests the failed posts.

-- Where an event came from: posted by the host ('live') or read back from its log ('recovered').
-- The constant default needs no table rewrite; the check is NOT VALID because every existing row is
-- 'live' by that default, so there is nothing to scan.
alter table call_events add column origin text not null default 'live';
alter table call_events add constraint call_events_origin check (origin in ('live', 'recovered')) not valid;

-- A Telegram card whose call was (partly) recovered says so on its final message; sticky once set.
alter table telegram_cards add column recovered boolean not null default false;

-- The directory holding the host's Listen_AMI_<YYYY-MM-DD>.db files (absolute, no "..").
alter table asterisk_hosts add column log_dir text not null default '/var/log/asterisk'
  check (log_dir ~ '^/[A-Za-z0-9_./-]{0,200}$' and log_dir !~ '(^|/)\.\.(/|$)');

-- One row per recovery run, for operators (`fleet recover`, and the scheduler in services/asterisk).
-- files: [{ date, file, bytes, failedRows, error: { code, message } | null }].
create table recovery_runs (
  id            bigserial primary key,
  enterprise    text not null references enterprises (number) on delete cascade,
  host          text not null,                 -- user@host:port
  trigger       text not null check (trigger in ('schedule', 'cli')),
  status        text not null default 'running' check (status in ('running', 'ok', 'partial', 'failed')),
  files         jsonb not null default '[]',
  rows_found    integer not null default 0,    -- failed posts in the files read
  rows_ingested integer not null default 0,    -- of them, new events stored in call_events
  duplicates    integer not null default 0,    -- already stored (delivered live, or by an earlier run)
  rows_invalid  integer not null default 0,    -- unusable rows (bad JSON, unknown event, another token)
  errors        jsonb not null default '[]',   -- [{ file?, code, message }]
  started_at    timestamptz not null default now(),
  finished_at   timestamptz,
  duration_ms   integer
);
create index recovery_runs_recent on recovery_runs (enterprise, started_at desc);
