// RetailCRM's callbacks carry no API key: they are authenticated by the module's random clientId
// (integrations_config.retailcrm.client_id), never by the enterprise number. The row is found by the
// sha256 of the given value and then compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Sql } from '@fleet/db';

export interface CallbackEnterprise {
  enterprise: string;
  active: boolean;
  enabled: boolean;
  /** Default region for client numbers (enterprises.phone_region). */
  region: string;
  /** RetailCRM userId → extension. */
  userExtensions: Record<string, string>;
}

/** The enterprise whose RetailCRM client_id is `clientId`, or null. */
export async function enterpriseByClientId(sql: Sql, clientId: unknown): Promise<CallbackEnterprise | null> {
  if (typeof clientId !== 'string' || clientId.length < 16 || clientId.length > 128) return null;
  const given = Buffer.from(clientId, 'utf8');
  const digest = createHash('sha256').update(given).digest();
  const [row] = await sql<{ number: string; active: boolean; phone_region: string; rc: Record<string, unknown> }[]>`
    select number, active, phone_region, integrations_config->'retailcrm' as rc from enterprises
    where sha256(convert_to(integrations_config->'retailcrm'->>'client_id', 'UTF8')) = ${digest}`;
  if (!row) return null;
  const stored = Buffer.from(String(row.rc.client_id), 'utf8');
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return null;
  const map =
    row.rc.user_extensions && typeof row.rc.user_extensions === 'object'
      ? (row.rc.user_extensions as Record<string, unknown>)
      : {};
  const userExtensions: Record<string, string> = {};
  for (const [u, e] of Object.entries(map))
    if (/^\d+$/.test(u) && /^\d{2,6}$/.test(String(e))) userExtensions[u] = String(e);
  return {
    enterprise: row.number,
    active: row.active,
    enabled: row.rc.enabled === true,
    region: row.phone_region,
    userExtensions,
  };
}
