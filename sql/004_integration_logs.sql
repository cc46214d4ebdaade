-- Every request to and response from an integration's upstream (RetailCRM…), and every dead letter.
-- API keys are redacted before a row is written.
create table integration_logs (
  id          bigserial primary key,
  enterprise  text not null,
  integration text not null default 'retailcrm',
  kind        text not null,
  call_id     text,
  phone       text,
  method      text,
  url         text,
  request     jsonb,
  status_code integer,
  response    text,
  ok          boolean not null,
  error       text,
  latency_ms  integer,
  created_at  timestamptz not null default now()
);
create index integration_logs_enterprise on integration_logs (enterprise, created_at desc);
create index integration_logs_call on integration_logs (enterprise, call_id);

-- RetailCRM side effects already performed per call (the service's own idempotency), claimed with a
-- lease so that a retried request never runs a step twice at once.
create table retailcrm_call_steps (
  enterprise  text not null,
  call_id     text not null,
  step        text not null,
  status      text not null check (status in ('running','done')),
  lease_until timestamptz,
  updated_at  timestamptz not null default now(),
  primary key (enterprise, call_id, step)
);
