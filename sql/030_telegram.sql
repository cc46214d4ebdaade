-- Managers' Telegram notifications (shared/domain/telegram.md): one bot per enterprise, the chats
-- linked to it, the operator's directories of names, and the durable card queue.

-- One bot per enterprise. bot_id is Telegram's public id of the bot (the digits before ':' in the
-- token) and names the webhook path /telegram/webhook/<bot_id>. The token is never logged and never
-- printed (the CLI masks it); webhook_secret is what Telegram echoes in X-Telegram-Bot-Api-Secret-Token.
create table telegram_bots (
  enterprise     text primary key references enterprises(number) on delete cascade,
  bot_id         bigint not null unique,
  username       text not null,
  token          text not null,
  webhook_secret text not null check (webhook_secret ~ '^[A-Za-z0-9_-]{16,255}$'),
  mode           text not null default 'polling' check (mode in ('polling', 'webhook')),
  webhook_url    text,
  last_error     text,
  last_error_at  timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);

-- Chats that receive an enterprise's calls: the owner chat and managers who joined by invite.
-- user_id is the Telegram user who linked the chat (buttons check the presser against it).
create table telegram_recipients (
  id         bigserial primary key,
  enterprise text not null references enterprises(number) on delete cascade,
  chat_id    bigint not null,
  user_id    bigint,
  kind       text not null check (kind in ('owner', 'manager')),
  extension  text check (extension ~ '^[0-9]{2,6}$'),
  active     boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (enterprise, chat_id)
);

-- One-time deep-link codes: https://t.me/<bot>?start=<code>.
create table telegram_invites (
  code         text primary key check (code ~ '^[A-Za-z0-9_-]{8,64}$'),
  enterprise   text not null references enterprises(number) on delete cascade,
  kind         text not null default 'manager' check (kind in ('owner', 'manager')),
  extension    text check (extension ~ '^[0-9]{2,6}$'),
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  used_at      timestamptz,
  used_by_chat bigint
);

-- Names people read on the cards, filled by the operator (fleet extension add / fleet line add).
create table extension_directory (
  enterprise text not null references enterprises(number) on delete cascade,
  extension  text not null check (extension ~ '^[0-9]{2,6}$'),
  name       text not null check (length(name) between 1 and 200),
  primary key (enterprise, extension)
);
create table line_directory (
  enterprise text not null references enterprises(number) on delete cascade,
  trunk      text not null check (length(trunk) between 1 and 64),
  name       text not null check (length(name) between 1 and 200),
  primary key (enterprise, trunk)
);

-- The card queue: one row per call per chat holding what the chat should show (stage + call summary,
-- written in the call processor's transaction) and what it shows (message ids, written right after
-- each Bot API answer), so a restart resumes from the database and never strands a card. The worker
-- derives the next operation (send / edit / delete / final) from the difference; a burst coalesces
-- into fewer requests. status 'pending' = there is a difference to deliver.
create table telegram_cards (
  id               bigserial primary key,
  enterprise       text not null,
  call_id          text not null,
  chat_id          bigint not null,
  stage            text not null check (stage in ('greeting', 'ringing', 'talking', 'final')),
  call             jsonb not null,
  version          integer not null default 1,
  not_before       timestamptz not null default now(),
  queued_at        timestamptz not null default now(),
  live_message_id  bigint,
  live_text        text,
  final_message_id bigint,
  status           text not null default 'pending' check (status in ('pending', 'done', 'dead')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz not null default now(),
  lease_until      timestamptz,
  last_error       text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (enterprise, call_id, chat_id)
);
create index telegram_cards_pending on telegram_cards (enterprise, chat_id, queued_at, id) where status = 'pending';
