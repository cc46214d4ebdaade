-- RetailCRM admin page (issue 5): the signed links that open it and the sessions they are exchanged for.

-- One row per issued link (JWT `jti`). A link works only while its row exists, is not revoked and has
-- not expired: registering the module again or deleting the integration revokes the older ones.
-- kind 'module' = the link registered as the module's accountUrl (re-signed from this row when the
-- module is pushed again, so the token itself is never stored); 'operator' = `fleet retailcrm admin-link`.
create table retailcrm_admin_links (
  jti            text primary key check (jti ~ '^[A-Za-z0-9_-]{16,64}$'),
  enterprise     text not null references enterprises(number) on delete cascade,
  kind           text not null check (kind in ('module', 'operator')),
  issued_at      timestamptz not null,
  expires_at     timestamptz not null,
  revoked_at     timestamptz,
  revoked_reason text
);
create index retailcrm_admin_links_enterprise on retailcrm_admin_links (enterprise) where revoked_at is null;

-- Browser sessions of the admin page. The cookie carries a random id; only its sha256 is stored.
create table retailcrm_admin_sessions (
  id_hash      text primary key,
  enterprise   text not null references enterprises(number) on delete cascade,
  jti          text not null references retailcrm_admin_links(jti) on delete cascade,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  last_seen_at timestamptz not null default now()
);
create index retailcrm_admin_sessions_enterprise on retailcrm_admin_sessions (enterprise);

-- The journal page filters by status and date within one enterprise.
create index integration_logs_enterprise_id on integration_logs (enterprise, id desc);
