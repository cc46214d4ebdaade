// integrations_config.retailcrm of an enterprise → the settings one request needs. Pure.
import { buildRecordUrl, parseCrmOrigin, formatCrmDate } from '@fleet/retailcrm-client';
import { readMissedCallTasks, type MissedCallTaskSettings } from '@fleet/retailcrm-admin';
import { ConfigInvalidError, DisabledError, NotConfiguredError } from '../errors.ts';

export interface EnterpriseRow {
  number: string;
  active: boolean;
  timezone: string;
  retailcrm: unknown;
  /** extension_directory's mapped mobiles as `{ digits: extension }` (sql/090_extension_mobiles.sql); absent = none. */
  mobiles?: unknown;
}

export interface RetailCrmSettings {
  enterprise: string;
  /** API origin, https (http only for loopback). */
  origin: string;
  apiKey: string;
  timezone: string;
  /** RetailCRM userId → extension, as the CLI's `fleet retailcrm map` writes it. */
  userExtensions: Record<string, string>;
  /**
   * A manager's mobile (digits, as the call model compares numbers) → the extension it belongs to, from
   * the operator's `fleet extension add --mobile`: names the manager of a call answered only there.
   */
  mobileExtensions: Record<string, string>;
  recordUrlTemplate: string | undefined;
  /** Missed-call tasks (issue 14): off unless switched on by the admin page or `fleet retailcrm tasks`. */
  missedCallTasks: MissedCallTaskSettings;
  /**
   * Create a customer in RetailCRM for a client number it does not know (issue 14): off unless the admin
   * page or `fleet retailcrm customers --on` switched it on (integrations_config.retailcrm.create_customers).
   */
  createCustomers: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * `decrypt` turns the stored api_key (AES-GCM `enc:v1:…`, or a legacy plain key) into the key.
 * @throws DisabledError, NotConfiguredError, ConfigInvalidError (all 422: the gateway must not retry).
 */
export function settingsOf(row: EnterpriseRow, decrypt: (stored: string) => string = (v) => v): RetailCrmSettings {
  const c = row.retailcrm;
  if (!c || typeof c !== 'object') throw new NotConfiguredError(row.number, 'no integrations_config.retailcrm');
  const cfg = c as Record<string, unknown>;
  if (cfg.enabled !== true || !row.active) throw new DisabledError(row.number);
  const domain = str(cfg.domain);
  const storedKey = str(cfg.api_key);
  if (!domain || !storedKey)
    throw new NotConfiguredError(row.number, domain ? 'api_key is missing' : 'domain is missing');
  let apiKey: string;
  try {
    apiKey = decrypt(storedKey);
  } catch {
    throw new ConfigInvalidError(row.number, 'api_key cannot be decrypted with SECRETS_KEY');
  }
  let origin: string;
  try {
    origin = parseCrmOrigin(domain);
  } catch (err) {
    throw new ConfigInvalidError(row.number, (err as Error).message);
  }
  try {
    formatCrmDate(0, row.timezone);
  } catch {
    throw new ConfigInvalidError(row.number, `unknown time zone ${JSON.stringify(row.timezone)}`);
  }
  const template = str(cfg.record_url_template);
  if (template) {
    try {
      buildRecordUrl(template, { enterprise: row.number, uniqueId: 'x', callId: 'x' });
    } catch (err) {
      throw new ConfigInvalidError(row.number, (err as Error).message);
    }
  }
  const map =
    cfg.user_extensions && typeof cfg.user_extensions === 'object'
      ? (cfg.user_extensions as Record<string, unknown>)
      : {};
  const userExtensions: Record<string, string> = {};
  for (const [userId, ext] of Object.entries(map)) {
    if (/^\d+$/.test(userId) && (typeof ext === 'string' || typeof ext === 'number') && String(ext) !== '')
      userExtensions[userId] = String(ext);
  }
  const mobileExtensions: Record<string, string> = {};
  if (row.mobiles && typeof row.mobiles === 'object') {
    for (const [mobile, ext] of Object.entries(row.mobiles as Record<string, unknown>))
      if (typeof ext === 'string') mobileExtensions[mobile] = ext;
  }
  return {
    enterprise: row.number,
    origin,
    apiKey,
    timezone: row.timezone,
    userExtensions,
    mobileExtensions,
    recordUrlTemplate: template,
    missedCallTasks: readMissedCallTasks(cfg.missed_call_tasks),
    createCustomers: cfg.create_customers === true,
  };
}
