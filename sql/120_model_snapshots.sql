-- The call model's stored state is a snapshot plus the events processed since (issue 12). call-intake
-- keeps each enterprise's state in memory between batches and writes the whole state only every so
-- often (a snapshot), not on every batch: a batch's cost no longer grows with the enterprise's live
-- calls. Any instance rebuilds the state from the snapshot and the events of later batches, in the
-- order they were applied (processed_batch, then id: an event committed late is applied in a later
-- batch than a newer id, and replay must see the same order).
alter table call_model_state
  add column version bigint not null default 0,          -- batches applied so far
  add column snapshot_version bigint not null default 0, -- the batch `state` was written after
  add column snapshot_at timestamptz not null default now(),
  add column replay_events integer not null default 0;    -- events applied since the snapshot

alter table call_events add column processed_batch bigint; -- call_model_state.version of the batch that applied it

create index call_events_replay on call_events (enterprise, processed_batch) where processed_batch is not null;
