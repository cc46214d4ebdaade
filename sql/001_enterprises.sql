-- Tenants. `host_token` is what an enterprise's Asterisk host sends as `Token`; it identifies the
-- enterprise and is treated as a secret. `integrations_config` holds per-integration settings, e.g.
-- {"retailcrm": {"enabled": true, "domain": "...", "api_key": "...", "client_id": "...", "user_extensions": {"18": "151"}}}.
create table enterprises (
  number              text primary key check (number ~ '^[0-9]{1,16}$'),
  name                text not null check (length(name) between 1 and 200),
  host_token          text not null unique check (length(host_token) between 1 and 128),
  active              boolean not null default true,
  timezone            text not null default 'Europe/Minsk',
  phone_region        text not null default 'BY' check (phone_region ~ '^[A-Z]{2}$'),
  integrations_config jsonb not null default '{}'::jsonb check (jsonb_typeof(integrations_config) = 'object'),
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now()
);

-- Whoever changes an enterprise (CLI, admin UI, a DBA in psql) tells the listeners:
--  * integration_config_changed: the gateway evicts that enterprise from its enablement cache;
--  * enterprise_changed: call-intake evicts its token → enterprise cache (token or active changed).
create function enterprises_notify() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    perform pg_notify('integration_config_changed', old.number);
    perform pg_notify('enterprise_changed', old.number);
    return old;
  end if;
  if tg_op = 'INSERT'
     or new.integrations_config is distinct from old.integrations_config
     or new.active is distinct from old.active then
    perform pg_notify('integration_config_changed', new.number);
  end if;
  if tg_op = 'INSERT' or new is distinct from old then
    perform pg_notify('enterprise_changed', new.number);
  end if;
  return new;
end $$;

create trigger enterprises_notify
  after insert or update or delete on enterprises
  for each row execute function enterprises_notify();

create function touch_updated_at() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;

create trigger enterprises_touch before update on enterprises
  for each row execute function touch_updated_at();
