-- The callback of a missed call on its Telegram final (issue 14 item 2). The sink (call processor's
-- transaction) keys each missed incoming customer call's final by the client's national significant
-- number (@fleet/validate's nationalNumber); the first later answered call with that number (in or out,
-- desk or mobile, click-to-call included) writes `callback` on those finals and queues them again, and
-- the card worker edits the final message once to add the line, then sets `callback_shown` (also when
-- Telegram says the message is gone or too old to edit: there is nothing left to amend).
alter table telegram_cards add column missed_key text check (missed_key ~ '^\d{6,20}$');
-- { "callId", "direction": "in" | "out", "by": extension | mobile | null, "at": ms since epoch }
alter table telegram_cards add column callback jsonb;
alter table telegram_cards add column callback_shown boolean not null default false;
-- The finals a callback may still mark: few per number, and they leave the index once marked.
create index telegram_cards_missed on telegram_cards (enterprise, missed_key)
  where missed_key is not null and callback is null;
