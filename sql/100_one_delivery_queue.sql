-- One durable queue of delivery work (issue 12): call-intake's intake_outbox row is the one record of
-- a call side effect until its integrations answered; the gateway forwards synchronously and keeps no
-- copy. Deliveries the gateway still held go back to the outbox, and pending outbox rows take the one
-- body every hop now reads (@fleet/call-event): callId instead of uniqueId, no host token, no raw event.
update intake_outbox o
set status = 'pending', next_attempt_at = now(), last_error = 're-queued from gateway_deliveries (sql/100)'
from gateway_deliveries d
where d.status = 'pending' and o.status = 'done'
  and d.enterprise = o.enterprise and d.call_id = o.call_id and d.dedup_key = o.dedup_key;

update intake_outbox
set payload = (payload - 'token' - 'raw' - 'uniqueId') || jsonb_build_object('callId', payload->>'uniqueId')
where status = 'pending' and payload ? 'uniqueId';

drop table gateway_deliveries;
drop table gateway_call_progress;

