// integrations_config.retailcrm as the admin page reads and writes it. Every write MERGES into the
// section (jsonb ||) and never replaces it: the predecessor wiped user_extensions when connection
// settings were saved (shared/domain/retailcrm.md, "Lessons"). Each write fires the enterprises
// trigger, so the gateway's enablement cache hears `integration_config_changed` at once.
import { randomBytes } from 'node:crypto';
import type { Sql } from '@fleet/db';
import { decryptSecret, encryptSecret } from '@fleet/secrets';
import { readMissedCallTasks, type MissedCallTaskSettings } from './missed-call-tasks.ts';
import { readCreateCustomers } from './customer-creation.ts';

export interface StoredConnection {
  enterprise: string;
  name: string;
  timezone: string;
  enabled: boolean;
  domain: string | undefined;
  /** Decrypted (legacy plain keys are read as they are); undefined when unset or undecryptable. */
  apiKey: string | undefined;
  apiKeyUnreadable: boolean;
  clientId: string | undefined;
  userExtensions: Record<string, string>;
  missedCallTasks: MissedCallTaskSettings;
  /** Customer creation for unknown numbers (issue 14). */
  createCustomers: boolean;
}

export const SECTION = `case when jsonb_typeof(integrations_config->'retailcrm') = 'object'
  then integrations_config->'retailcrm' else '{}'::jsonb end`;

const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Reads `user_extensions` defensively: digits → non-empty string, anything else dropped. */
export function readUserExtensions(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const map: Record<string, string> = {};
  for (const [u, e] of Object.entries(value)) {
    if (/^\d+$/.test(u) && (typeof e === 'string' || typeof e === 'number') && String(e) !== '') map[u] = String(e);
  }
  return map;
}

/** The enterprise's connection, or undefined when the enterprise does not exist. */
export async function readConnection(sql: Sql, key: Buffer, enterprise: string): Promise<StoredConnection | undefined> {
  const [row] = await sql<{ name: string; timezone: string; c: unknown }[]>`
    select name, timezone, integrations_config->'retailcrm' as c from enterprises where number = ${enterprise}`;
  if (!row) return undefined;
  const c = (row.c && typeof row.c === 'object' ? row.c : {}) as Record<string, unknown>;
  let apiKey: string | undefined;
  let apiKeyUnreadable = false;
  const stored = str(c.api_key);
  if (stored) {
    try {
      apiKey = decryptSecret(key, stored, enterprise);
    } catch {
      apiKeyUnreadable = true;
    }
  }
  return {
    enterprise,
    name: row.name,
    timezone: row.timezone,
    enabled: c.enabled === true,
    domain: str(c.domain),
    apiKey,
    apiKeyUnreadable,
    clientId: str(c.client_id),
    userExtensions: readUserExtensions(c.user_extensions),
    missedCallTasks: readMissedCallTasks(c.missed_call_tasks),
    createCustomers: readCreateCustomers(c.create_customers),
  };
}

/** A fresh module clientId: 32 random hex characters (never the enterprise number). */
export const newClientId = () => randomBytes(16).toString('hex');

/**
 * THE write of integrations_config.retailcrm for the admin page, `fleet retailcrm set`, registration
 * and `pnpm demo`: merges `fields` into the section (other keys and other integrations untouched) and
 * gives the section a random client_id unless it has one. Returns the client_id (`generated` when
 * this call made it), or undefined when the enterprise does not exist. `fields` must already be in
 * stored form (api_key encrypted).
 */
export async function mergeRetailcrmConfig(
  sql: Sql,
  enterprise: string,
  fields: Record<string, unknown>,
): Promise<{ clientId: string; generated: boolean } | undefined> {
  const candidate = newClientId();
  const [row] = await sql<{ client_id: string }[]>`
    update enterprises set integrations_config = integrations_config || jsonb_build_object('retailcrm',
      ${sql.unsafe(SECTION)} || ${sql.json(fields as Record<string, never>)}
      || case when coalesce(integrations_config->'retailcrm'->>'client_id', '') <> '' then '{}'::jsonb
         else jsonb_build_object('client_id', ${candidate}::text) end)
    where number = ${enterprise}
    returning integrations_config->'retailcrm'->>'client_id' as client_id`;
  return row && { clientId: row.client_id, generated: row.client_id === candidate };
}

/**
 * Saves domain, the API key (encrypted; kept when `apiKey` is undefined) and the switch; generates a
 * client_id when there is none. Returns the client_id.
 */
export async function saveConnection(
  sql: Sql,
  key: Buffer,
  enterprise: string,
  patch: { domain: string; apiKey?: string; enabled: boolean },
): Promise<string> {
  const fields: Record<string, string | boolean> = { domain: patch.domain, enabled: patch.enabled };
  if (patch.apiKey !== undefined) fields.api_key = encryptSecret(key, patch.apiKey, enterprise);
  return (await mergeRetailcrmConfig(sql, enterprise, fields))!.clientId;
}

/**
 * Deleting the integration removes the whole retailcrm section, as the issue says ("removes the
 * config"): the address, the key, the clientId (RetailCRM's old callbacks stop matching), the
 * manager map (its user ids belong to that RetailCRM account; connecting another account later must
 * not push them there) and the statuses RetailCRM pushed. Other integrations' sections stay.
 */
export async function removeConnection(sql: Sql, enterprise: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`update enterprises set integrations_config = integrations_config - 'retailcrm' where number = ${enterprise}`;
    await tx`delete from retailcrm_manager_status where enterprise = ${enterprise}`;
  });
}
