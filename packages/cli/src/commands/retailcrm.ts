import { decryptSecret, encryptSecret, isEncrypted, resolveSecrets } from '@fleet/secrets';
import type { Sql } from '@fleet/db';
import {
  MAX_DUE_MINUTES,
  mergeRetailcrmConfig,
  readCreateCustomers,
  readMissedCallTasks,
  saveCreateCustomers,
  saveMissedCallTasks,
} from '@fleet/retailcrm-admin';
import { notFoundError, usageError } from '../errors.ts';
import { mask, renderTable } from '../format.ts';
import { defineCommand } from '../command.ts';
import { assignExtension, readUserExtensions } from '../user-extensions.ts';
import * as v from '../validate.ts';

// Every write below MERGES into integrations_config.retailcrm and never replaces it: the
// predecessor wiped the manager↔extension map when connection settings were saved
// (shared/domain/retailcrm.md, "Lessons"). `retailcrm` is treated as {} when absent or not an object.
const RETAILCRM = `case when jsonb_typeof(integrations_config->'retailcrm') = 'object'
  then integrations_config->'retailcrm' else '{}'::jsonb end`;

export const retailcrmSet = defineCommand({
  group: 'retailcrm',
  name: 'set',
  summary: 'connect an enterprise to its RetailCRM account (keeps the user map)',
  usage:
    'fleet retailcrm set --enterprise <n> --domain <https url> --api-key <key> [--disabled] [--record-url-template <url>]',
  options: {
    enterprise: { type: 'string' },
    domain: { type: 'string' },
    'api-key': { type: 'string' },
    disabled: { type: 'boolean' },
    'record-url-template': { type: 'string' },
  },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    patch: {
      domain: v.retailcrmDomain(v.required(o, 'domain')),
      api_key: v.apiKey(v.required(o, 'api-key')),
      enabled: o.disabled !== true,
      ...(typeof o['record-url-template'] === 'string'
        ? { record_url_template: v.recordUrlTemplate(o['record-url-template']) }
        : {}),
    },
  }),
  async run({ enterprise, patch }, { sql, out, env }) {
    // Stored encrypted (AES-256-GCM, SECRETS_KEY, bound to the enterprise); readers still accept
    // legacy plain keys. Without DATABASE_URL (the local embedded database) the dev secrets apply.
    const { secretsKey } = resolveSecrets(env, { allowDevFile: !env.DATABASE_URL });
    const stored = { ...patch, api_key: encryptSecret(secretsKey, patch.api_key, enterprise) };
    // The admin page's own write: merges, and generates the module clientId when there is none.
    const row = await mergeRetailcrmConfig(sql, enterprise, stored);
    if (!row) throw notFoundError(`enterprise ${enterprise} not found`);
    const generated = row.generated ? ' (generated)' : '';
    out(
      `retailcrm for enterprise ${enterprise}: ${patch.enabled ? 'enabled' : 'disabled'}, ${patch.domain}, ` +
        `api key ${mask(patch.api_key)}, client id ${mask(row.clientId)}${generated}`,
    );
  },
});

export const retailcrmMap = defineCommand({
  group: 'retailcrm',
  name: 'map',
  summary: 'give a RetailCRM user an extension (taken from any other user)',
  usage: 'fleet retailcrm map --enterprise <n> --user <RetailCRM user id> --extension <2-6 digits>',
  options: { enterprise: { type: 'string' }, user: { type: 'string' }, extension: { type: 'string' } },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    user: v.userId(v.required(o, 'user')),
    extension: v.extension(v.required(o, 'extension')),
  }),
  async run({ enterprise, user, extension }, { sql, out }) {
    const result = await sql.begin(async (tx) => {
      // Row lock: two operators mapping at once must not both keep the extension.
      const [row] = await tx<{ map: unknown }[]>`
        select integrations_config->'retailcrm'->'user_extensions' as map
        from enterprises where number = ${enterprise} for update`;
      if (!row) throw notFoundError(`enterprise ${enterprise} not found`);
      const assignment = assignExtension(readUserExtensions(row.map), user, extension);
      await writeUserExtensions(tx, enterprise, assignment.map);
      return assignment;
    });
    for (const other of result.takenFrom) out(`extension ${extension} removed from user ${other}`);
    if (result.replaced) out(`user ${user} no longer has extension ${result.replaced}`);
    out(`user ${user} → extension ${extension} (enterprise ${enterprise})`);
  },
});

export const retailcrmUnmap = defineCommand({
  group: 'retailcrm',
  name: 'unmap',
  summary: "remove a RetailCRM user's extension",
  usage: 'fleet retailcrm unmap --enterprise <n> --user <RetailCRM user id>',
  options: { enterprise: { type: 'string' }, user: { type: 'string' } },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    user: v.userId(v.required(o, 'user')),
  }),
  async run({ enterprise, user }, { sql, out }) {
    const removed = await sql.begin(async (tx) => {
      const [row] = await tx<{ map: unknown }[]>`
        select integrations_config->'retailcrm'->'user_extensions' as map
        from enterprises where number = ${enterprise} for update`;
      if (!row) throw notFoundError(`enterprise ${enterprise} not found`);
      const map = readUserExtensions(row.map);
      const ext = map[user];
      if (ext === undefined) return undefined;
      delete map[user];
      await writeUserExtensions(tx, enterprise, map);
      return ext;
    });
    // Unmapping an unmapped user is not an error: scripts may repeat it.
    out(removed ? `user ${user} unmapped (was extension ${removed})` : `user ${user} had no extension: nothing to do`);
  },
});

// The transaction handle sql.begin passes (its second overload takes (options, callback)); derived
// here so that postgres need not be a dependency of its own.
type Tx = Parameters<Parameters<Sql['begin']>[1]>[0];

async function writeUserExtensions(tx: Tx, enterprise: string, map: Record<string, string>): Promise<void> {
  await tx`
    update enterprises set integrations_config = integrations_config || jsonb_build_object('retailcrm',
      ${tx.unsafe(RETAILCRM)} || jsonb_build_object('user_extensions', ${tx.json(map)}))
    where number = ${enterprise}`;
}

export const retailcrmShow = defineCommand({
  group: 'retailcrm',
  name: 'show',
  summary: "show an enterprise's RetailCRM settings (secrets masked)",
  usage: 'fleet retailcrm show --enterprise <n>',
  options: { enterprise: { type: 'string' } },
  parse: (o) => ({ enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise') }),
  async run({ enterprise }, { sql, out, env }) {
    const [row] = await sql<{ retailcrm: unknown }[]>`
      select integrations_config->'retailcrm' as retailcrm from enterprises where number = ${enterprise}`;
    if (!row) throw notFoundError(`enterprise ${enterprise} not found`);
    const c = (typeof row.retailcrm === 'object' && row.retailcrm !== null ? row.retailcrm : {}) as Record<
      string,
      unknown
    >;
    const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : undefined);
    out(`enterprise ${enterprise} retailcrm`);
    out(`  enabled:             ${c.enabled === true ? 'yes' : 'no'}`);
    out(`  domain:              ${str('domain') ?? '- (not configured: fleet retailcrm set)'}`);
    out(`  api key:             ${showKey(str('api_key'), enterprise, env)}`);
    out(`  client id:           ${mask(str('client_id'))}`);
    out(`  record url template: ${str('record_url_template') ?? '-'}`);
    const t = readMissedCallTasks(c.missed_call_tasks);
    out(
      `  missed-call tasks:   ${t.enabled ? 'on' : 'off'}, fallback user ${t.fallbackUserId ?? '-'}, due in ${t.dueMinutes} min`,
    );
    out(`  create customers:    ${readCreateCustomers(c.create_customers) ? 'on' : 'off'}`);
    const map = readUserExtensions(c.user_extensions);
    const users = Object.keys(map).sort((a, b) => Number(a) - Number(b));
    if (users.length === 0) {
      out('  user extensions:     none');
      return;
    }
    out('  user extensions:');
    for (const line of renderTable(
      ['USER', 'EXTENSION'],
      users.map((u) => [u, map[u]!]),
    ))
      out(`    ${line}`);
  },
});

/** The stored key masked; an encrypted one is decrypted first (or said to be unreadable). */
function showKey(stored: string | undefined, enterprise: string, env: Record<string, string | undefined>): string {
  if (!stored || !isEncrypted(stored)) return mask(stored);
  try {
    const { secretsKey } = resolveSecrets(env, { allowDevFile: !env.DATABASE_URL });
    return `${mask(decryptSecret(secretsKey, stored, enterprise))} (encrypted)`;
  } catch {
    return 'encrypted (not readable with this SECRETS_KEY)';
  }
}

export const retailcrmTasks = defineCommand({
  group: 'retailcrm',
  name: 'tasks',
  summary: 'switch missed-call tasks in RetailCRM on or off (who gets them when nobody else does, when due)',
  usage:
    'fleet retailcrm tasks --enterprise <n> --on|--off [--fallback-user <RetailCRM user id>] [--due-minutes <1-10080>]',
  options: {
    enterprise: { type: 'string' },
    on: { type: 'boolean' },
    off: { type: 'boolean' },
    'fallback-user': { type: 'string' },
    'due-minutes': { type: 'string' },
  },
  parse: (o) => {
    if ((o.on === true) === (o.off === true)) throw usageError('give exactly one of --on and --off');
    const fallback = o['fallback-user'];
    const due = o['due-minutes'];
    return {
      enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
      enabled: o.on === true,
      fallbackUserId: typeof fallback === 'string' ? Number(v.userId(fallback, 'fallback-user')) : undefined,
      dueMinutes: typeof due === 'string' ? v.dueMinutes(due, MAX_DUE_MINUTES) : undefined,
    };
  },
  async run({ enterprise, enabled, fallbackUserId, dueMinutes }, { sql, out }) {
    const [row] = await sql<{ c: unknown }[]>`
      select integrations_config->'retailcrm'->'missed_call_tasks' as c from enterprises where number = ${enterprise}`;
    if (!row) throw notFoundError(`enterprise ${enterprise} not found`);
    // Options not given keep their stored values (an --off keeps the fallback user for the next --on).
    const before = readMissedCallTasks(row.c);
    const next = {
      enabled,
      fallbackUserId: fallbackUserId ?? before.fallbackUserId,
      dueMinutes: dueMinutes ?? before.dueMinutes,
    };
    await saveMissedCallTasks(sql, enterprise, next);
    const who = next.fallbackUserId === null ? 'no fallback user' : `fallback user ${next.fallbackUserId}`;
    out(
      `missed-call tasks for enterprise ${enterprise}: ${enabled ? 'on' : 'off'}, ${who}, due in ${next.dueMinutes} min`,
    );
    if (enabled && next.fallbackUserId === null)
      out('a missed call whose client has no responsible manager and whose first extension has no user gets no task');
  },
});

export const retailcrmCustomers = defineCommand({
  group: 'retailcrm',
  name: 'customers',
  summary: 'switch on or off creating a RetailCRM customer for a client number RetailCRM does not know',
  usage: 'fleet retailcrm customers --enterprise <n> --on|--off',
  options: {
    enterprise: { type: 'string' },
    on: { type: 'boolean' },
    off: { type: 'boolean' },
  },
  parse: (o) => {
    if ((o.on === true) === (o.off === true)) throw usageError('give exactly one of --on and --off');
    return { enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'), enabled: o.on === true };
  },
  async run({ enterprise, enabled }, { sql, out }) {
    if (!(await saveCreateCustomers(sql, enterprise, enabled)))
      throw notFoundError(`enterprise ${enterprise} not found`);
    out(`customer creation for enterprise ${enterprise}: ${enabled ? 'on' : 'off'}`);
    if (enabled)
      out('a customer call from a number RetailCRM does not know creates one customer with that phone (+375…/+7…)');
  },
});
