-- Customers the fleet created in RetailCRM for numbers it did not know (issue 14, opt-in per enterprise:
-- integrations_config.retailcrm.create_customers). One row per enterprise and client number (national
-- significant number, @fleet/validate), claimed by the first customer call of the number, so the number
-- gets at most one customer whatever retries, kills, replays and concurrent calls happen:
--   creating: the customer:create step of `created_by` is asking RetailCRM (or was cut: the outcome of a
--             customers/create sent without an answer is unknown; it is never sent again);
--   exists:   RetailCRM already knew the number (any spelling): nothing created, `customer_id` is theirs;
--   created:  RetailCRM created customer `customer_id`.
create table retailcrm_created_customers (
  enterprise  text not null references enterprises(number) on delete cascade,
  phone_key   text not null check (phone_key ~ '^\d{6,20}$'),
  status      text not null check (status in ('creating', 'exists', 'created')),
  customer_id bigint,
  created_by  text not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (enterprise, phone_key)
);
