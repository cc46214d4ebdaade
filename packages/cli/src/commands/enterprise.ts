import { conflictError, notFoundError, usageError } from '../errors.ts';
import { mask, renderTable } from '../format.ts';
import { defineCommand } from '../command.ts';
import * as v from '../validate.ts';

/** The unique constraints of `enterprises` (sql/001_enterprises.sql) and what a clash means. */
const UNIQUE_CLASH: Record<string, string> = {
  enterprises_pkey: 'an enterprise with this number already exists',
  enterprises_host_token_key: 'another enterprise already uses this host token',
};

/** Turns a unique violation into a conflict (exit 4); the token itself is never echoed. */
function asConflict(e: unknown): unknown {
  const pg = e as { code?: string; constraint_name?: string };
  if (pg.code === '23505') return conflictError(UNIQUE_CLASH[pg.constraint_name ?? ''] ?? 'duplicate value');
  return e;
}

export const enterpriseAdd = defineCommand({
  group: 'enterprise',
  name: 'add',
  summary: 'register an enterprise (tenant) and its Asterisk host token',
  usage:
    'fleet enterprise add --number <digits> --name <name> --token <host token> [--timezone <IANA zone>] [--region <ISO country, default BY>]',
  options: {
    number: { type: 'string' },
    name: { type: 'string' },
    token: { type: 'string' },
    timezone: { type: 'string' },
    region: { type: 'string' },
  },
  parse: (o) => ({
    number: v.enterpriseNumber(v.required(o, 'number')),
    name: v.enterpriseName(v.required(o, 'name')),
    token: v.hostToken(v.required(o, 'token')),
    timezone: v.timeZone(typeof o.timezone === 'string' ? o.timezone : 'Europe/Minsk'),
    region: v.phoneRegion(typeof o.region === 'string' ? o.region : 'BY'),
  }),
  async run(input, { sql, out }) {
    try {
      await sql`
        insert into enterprises (number, name, host_token, timezone, phone_region)
        values (${input.number}, ${input.name}, ${input.token}, ${input.timezone}, ${input.region})`;
    } catch (e) {
      throw asConflict(e);
    }
    out(
      `enterprise ${input.number} added: ${input.name}, ${input.timezone}, region ${input.region}, token ${mask(input.token)}`,
    );
  },
});

interface EnterpriseRow {
  number: string;
  name: string;
  active: boolean;
  timezone: string;
  phone_region: string;
  host_token: string;
  integrations_config: Record<string, unknown>;
}

/** Names of the integrations whose config object says `enabled: true`, comma-separated, or `-`. */
export function enabledIntegrations(config: Record<string, unknown>): string {
  const names = Object.entries(config ?? {})
    .filter(([, c]) => typeof c === 'object' && c !== null && (c as { enabled?: unknown }).enabled === true)
    .map(([name]) => name)
    .sort();
  return names.length ? names.join(',') : '-';
}

export const enterpriseList = defineCommand({
  group: 'enterprise',
  name: 'list',
  summary: 'list enterprises (tokens masked)',
  usage: 'fleet enterprise list',
  options: {},
  parse: () => ({}),
  async run(_input, { sql, out }) {
    const rows = await sql<EnterpriseRow[]>`
      select number, name, active, timezone, phone_region, host_token, integrations_config
      from enterprises order by length(number), number`;
    if (rows.length === 0) {
      out('no enterprises yet: add one with `fleet enterprise add`');
      return;
    }
    const table = renderTable(
      ['NUMBER', 'NAME', 'ACTIVE', 'TIMEZONE', 'REGION', 'TOKEN', 'INTEGRATIONS'],
      rows.map((r) => [
        r.number,
        r.name,
        r.active ? 'yes' : 'no',
        r.timezone,
        r.phone_region,
        mask(r.host_token),
        enabledIntegrations(r.integrations_config),
      ]),
    );
    for (const line of table) out(line);
  },
});

export const enterpriseSet = defineCommand({
  group: 'enterprise',
  name: 'set',
  summary: 'change an enterprise: active, time zone, name',
  usage: 'fleet enterprise set --number <digits> [--active true|false] [--timezone <IANA zone>] [--name <name>]',
  options: {
    number: { type: 'string' },
    active: { type: 'string' },
    timezone: { type: 'string' },
    name: { type: 'string' },
  },
  parse(o) {
    const patch: { active?: boolean; timezone?: string; name?: string } = {};
    if (typeof o.active === 'string') patch.active = v.bool(o.active, 'active');
    if (typeof o.timezone === 'string') patch.timezone = v.timeZone(o.timezone);
    if (typeof o.name === 'string') patch.name = v.enterpriseName(o.name);
    if (Object.keys(patch).length === 0) throw usageError('nothing to change: give --active, --timezone or --name');
    return { number: v.enterpriseNumber(v.required(o, 'number')), patch };
  },
  async run({ number, patch }, { sql, out }) {
    const [row] = await sql<EnterpriseRow[]>`
      update enterprises set ${sql(patch)} where number = ${number}
      returning number, name, active, timezone`;
    if (!row) throw notFoundError(`enterprise ${number} not found`);
    out(`enterprise ${row.number} updated: ${row.name}, active ${row.active}, ${row.timezone}`);
  },
});
