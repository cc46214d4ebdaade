-- Missed-call tasks (issue 14): the RetailCRM task each missed customer call stands for, per enterprise
-- and client number (its national significant number, @fleet/validate's nationalNumber), so that further
-- missed calls from that number edit the open task instead of opening another, and the first answered
-- call with the number completes it. Written by the retailcrm service inside its call steps
-- (retailcrm_call_steps: task:missed, task:merge, task:callback).
--   creating: the task:missed step of `created_by` reserved the number and is creating the task;
--   open:     RetailCRM has task `task_id`; `calls` lists the missed calls it stands for;
--   closed:   completed by a call (close_reason 'callback', `closed_by` names it) or by a manager in
--             RetailCRM ('closed_in_crm', 'deleted_in_crm': not retried);
--   lost:     tasks/create was sent without an answer: RetailCRM may have the task, its id is unknown
--             (not repeated, as call/event; the next missed call of the number opens a new task).
create table retailcrm_missed_tasks (
  id           bigserial primary key,
  enterprise   text not null references enterprises(number) on delete cascade,
  phone_key    text not null check (phone_key ~ '^\d{6,20}$'),
  phone        text not null,
  status       text not null check (status in ('creating', 'open', 'closed', 'lost')),
  created_by   text not null,
  task_id      bigint,
  performer_id bigint,
  -- [{ "callId": …, "at": <ms since epoch> }] in arrival order
  calls        jsonb not null default '[]'::jsonb,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  closed_at    timestamptz,
  closed_by    text,
  close_reason text,
  check (status <> 'open' or task_id is not null)
);
-- At most one task being created or open per number: the reservation of task:missed.
create unique index retailcrm_missed_tasks_current on retailcrm_missed_tasks (enterprise, phone_key)
  where status in ('creating', 'open');
create index retailcrm_missed_tasks_created_by on retailcrm_missed_tasks (enterprise, created_by);
