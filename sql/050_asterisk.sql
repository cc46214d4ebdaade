-- Click-to-call (issue 6).

-- The Asterisk host of an enterprise, reached over SSH with key authentication. `host_key` is the
-- pinned known-hosts entry ("<type> <base64>"): a host presenting another key is refused.
-- `originate_secret` is the random per-enterprise clientId of /api/makecallexternal, hex (looked up by
-- the sha256 of its bytes, then compared in constant time).
create table asterisk_hosts (
  enterprise        text primary key references enterprises (number) on delete cascade,
  host              text not null check (host ~ '^[A-Za-z0-9.:_-]{1,253}$'),
  port              integer not null default 22 check (port between 1 and 65535),
  username          text not null check (username ~ '^[A-Za-z0-9._-]{1,64}$'),
  key_file          text not null check (length(key_file) between 1 and 1024),
  host_key          text not null check (host_key ~ '^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}$'),
  asterisk_path     text not null default 'asterisk' check (asterisk_path ~ '^(asterisk|/[A-Za-z0-9_./-]{1,200})$'),
  originate_context text not null default 'web-originate' check (originate_context ~ '^[A-Za-z0-9_-]{1,64}$'),
  outbound_context  text not null default 'inoffice' check (outbound_context ~ '^[A-Za-z0-9_-]{1,64}$'),
  -- Hosts whose dialplan reads ${DB(extcall/nextcall_<ext>)} get `database put` before the originate.
  set_nextcall      boolean not null default false,
  originate_secret  text not null unique check (originate_secret ~ '^[0-9a-f]{32,128}$'),
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);
create index asterisk_hosts_secret on asterisk_hosts (sha256(decode(originate_secret, 'hex')));
create trigger asterisk_hosts_touch before update on asterisk_hosts
  for each row execute function touch_updated_at();

-- Every originate the fleet asked a host for, whatever became of it. call-intake reads the recent
-- ones of an enterprise to mark the resulting outgoing call as originated by this manager.
create table originates (
  id             bigserial primary key,
  correlation_id text not null unique,
  enterprise     text not null,
  extension      text not null,
  -- E.164 digits without '+', exactly what went on the command line.
  phone          text not null,
  requested_by   text not null,           -- 'crm:<userId>', 'telegram:<userId>' or 'api'
  status         text not null check (status in ('requested', 'accepted', 'confirmed', 'unconfirmed', 'failed', 'unknown')),
  error_code     text,
  host_answer    text,                    -- stdout/stderr of the host, capped
  latency_ms     integer,                 -- request → host accepted (or failed)
  created_at     timestamptz not null default now(),
  confirmed_at   timestamptz,
  updated_at     timestamptz not null default now()
);
create index originates_recent on originates (enterprise, created_at desc);

-- Manager status as RetailCRM reports it through changeUserStatusUrl.
create table retailcrm_manager_status (
  enterprise text not null,
  user_id    integer not null,
  code       text,
  status     text not null check (status in ('free', 'busy', 'dinner', 'break')),
  changed_at timestamptz not null default now(),
  primary key (enterprise, user_id)
);
