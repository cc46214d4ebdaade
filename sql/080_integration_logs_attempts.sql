-- Every attempt to RetailCRM is journalled BEFORE it is sent (state 'sent') and completed with its
-- answer (state 'done'). A row left 'sent' is an attempt whose process stopped before the answer came:
-- RetailCRM may or may not have performed it (issue 7: integration_logs shows every attempt, also those
-- cut short by a SIGKILL). Existing rows were written after their answer: 'done' by default, so no scan.
alter table integration_logs add column state text not null default 'done';
alter table integration_logs add constraint integration_logs_state check (state in ('sent', 'done')) not valid;
