-- call-intake → integration-gateway deliveries (transactional outbox). Written in the transaction that
-- applies the event to the call model; a dispatcher sends them and retries until the gateway
-- acknowledges. dedup_key names the side effect (e.g. "dial:1", "hangup") within a call.
create table intake_outbox (
  id              bigserial primary key,
  enterprise      text not null,
  call_id         text not null,
  event_type      text not null check (event_type in ('dial','hangup')),
  dedup_key       text not null,
  payload         jsonb not null,
  status          text not null default 'pending' check (status in ('pending','done','dead')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text,
  created_at      timestamptz not null default now(),
  delivered_at    timestamptz,
  unique (enterprise, call_id, dedup_key)
);
create index intake_outbox_due on intake_outbox (next_attempt_at, id) where status = 'pending';

-- integration-gateway → integrations (retailcrm, later telegram…). One row per (integration, side
-- effect); the unique key is the idempotency guarantee that survives restarts.
create table gateway_deliveries (
  id              bigserial primary key,
  enterprise      text not null,
  integration     text not null,
  call_id         text not null,
  event_type      text not null check (event_type in ('dial','hangup')),
  dedup_key       text not null,
  payload         jsonb not null,
  status          text not null default 'pending'
                    check (status in ('pending','done','superseded','disabled','dead')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text,
  created_at      timestamptz not null default now(),
  delivered_at    timestamptz,
  unique (enterprise, integration, call_id, dedup_key)
);
create index gateway_deliveries_due on gateway_deliveries (next_attempt_at, id) where status = 'pending';
create index gateway_deliveries_call on gateway_deliveries (enterprise, integration, call_id);

-- What each integration has been told about a call: a hangup without a delivered dial gets a synthetic
-- dial first; a dial after the hangup is superseded.
create table gateway_call_progress (
  enterprise   text not null,
  integration  text not null,
  call_id      text not null,
  dial_done    boolean not null default false,
  hangup_done  boolean not null default false,
  updated_at   timestamptz not null default now(),
  primary key (enterprise, integration, call_id)
);
