-- Every event a host posted and we acknowledged. The 200 goes out only after this row commits.
-- idempotency_key = sha256 of (event type, canonical JSON body): an exact retransmission (host
-- recovery job, replay) hits the unique index and changes nothing.
create table call_events (
  id              bigserial primary key,
  enterprise      text not null references enterprises(number),
  event_type      text not null check (event_type in
                    ('start','dial','bridge','hangup','bridge_create','bridge_leave','bridge_destroy','new_callerid')),
  unique_id       text not null default '',
  idempotency_key text not null,
  body            jsonb not null,
  received_at     timestamptz not null default clock_timestamp(),
  processed_at    timestamptz,
  process_error   text,
  unique (enterprise, idempotency_key)
);
create index call_events_unprocessed on call_events (enterprise, id) where processed_at is null;
create index call_events_unique_id on call_events (enterprise, unique_id);

-- The call model's state per enterprise (pure JSON, see packages/call-model). One row per enterprise,
-- locked FOR UPDATE while its events are applied, so two call-intake instances never interleave.
create table call_model_state (
  enterprise    text primary key references enterprises(number),
  state         jsonb not null,
  next_deadline timestamptz,
  last_event_id bigint not null default 0,
  updated_at    timestamptz not null default now()
);
create index call_model_state_deadline on call_model_state (next_deadline) where next_deadline is not null;

-- One row per call (customer or internal) as the call model sees it; a projection for people and
-- other services. callId = UniqueId of the call's first customer-facing channel.
create table calls (
  enterprise   text not null references enterprises(number),
  call_id      text not null,
  kind         text not null check (kind in ('customer','internal')),
  direction    text not null check (direction in ('in','out','internal')),
  phone        text not null default '',
  trunk        text not null default '',
  ringing      text[] not null default '{}',
  answered_by  text,
  status       text not null check (status in ('ringing','talking','ended')),
  result       text,
  started_at   timestamptz not null,
  answered_at  timestamptz,
  ended_at     timestamptz,
  duration_sec integer,
  summary      jsonb not null,
  updated_at   timestamptz not null default now(),
  primary key (enterprise, call_id)
);
create index calls_started on calls (enterprise, started_at desc);
