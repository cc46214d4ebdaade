-- The call step (retailcrm_call_steps.step) an attempt performed. RetailCRM's call/event has no
-- idempotency key: a step whose earlier attempt has no answer on record (state 'sent': cut by a kill) or
-- succeeded is never sent again when its lease runs out (issue 12); the journal proves what was not sent.
alter table integration_logs add column step text;
