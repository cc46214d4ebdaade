import { defineCommand } from '../command.ts';
import { conflictError, notFoundError, usageError } from '../errors.ts';
import { renderTable } from '../format.ts';
import * as v from '../validate.ts';

// The names people read on Telegram cards: managers by extension, lines by trunk id. An extension may
// carry its manager's mobile (sql/090_extension_mobiles.sql): a call answered only on that mobile
// then names the manager in RetailCRM's history and on the Telegram card.

const displayName = (s: string) => {
  const n = s.trim();
  if (n.length < 1 || n.length > 200) throw usageError('--name must be 1 to 200 characters');
  return n;
};

/** `--mobile none` takes an extension's mobile away (to give it to another extension). */
const NO_MOBILE = 'none';

export const extensionAdd = defineCommand({
  group: 'extension',
  name: 'add',
  summary:
    "name a manager's extension (shown on Telegram cards) and optionally its mobile (FollowMe); replaces an earlier name, keeps the mobile unless --mobile is given",
  usage: 'fleet extension add --enterprise <n> --extension <2-6 digits> --name <name> [--mobile <number>|none]',
  options: {
    enterprise: { type: 'string' },
    extension: { type: 'string' },
    name: { type: 'string' },
    mobile: { type: 'string' },
  },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    extension: v.extension(v.required(o, 'extension')),
    name: displayName(v.required(o, 'name')),
    // The full check needs the enterprise's phone region (run); the shape is checked here, before any I/O.
    mobile: typeof o.mobile !== 'string' ? undefined : o.mobile.trim() === NO_MOBILE ? null : v.mobileShape(o.mobile),
  }),
  async run({ enterprise, extension, name, mobile }, { sql, out }) {
    const [e] = await sql<
      { phone_region: string }[]
    >`select phone_region from enterprises where number = ${enterprise}`;
    if (!e) throw notFoundError(`enterprise ${enterprise} not found`);
    if (mobile === undefined) {
      await sql`insert into extension_directory (enterprise, extension, name) values (${enterprise}, ${extension}, ${name})
                on conflict (enterprise, extension) do update set name = excluded.name`;
      out(`extension ${extension} → ${name} (enterprise ${enterprise})`);
      return;
    }
    const stored = mobile === null ? null : v.mobileNumber(mobile, e.phone_region);
    if (stored) {
      const [owner] = await sql<{ extension: string; name: string }[]>`
        select extension, name from extension_directory where enterprise = ${enterprise} and mobile = ${stored} and extension <> ${extension}`;
      if (owner) throw mobileTaken(stored, enterprise, owner);
    }
    try {
      await sql`insert into extension_directory (enterprise, extension, name, mobile) values (${enterprise}, ${extension}, ${name}, ${stored})
                on conflict (enterprise, extension) do update set name = excluded.name, mobile = excluded.mobile`;
    } catch (err) {
      // Another `extension add` took the mobile between our check and our write.
      if ((err as { code?: string }).code === '23505') throw mobileTaken(stored ?? '', enterprise, null);
      throw err;
    }
    out(`extension ${extension} → ${name}, mobile ${stored ? `+${stored}` : 'none'} (enterprise ${enterprise})`);
  },
});

function mobileTaken(mobile: string, enterprise: string, owner: { extension: string; name: string } | null) {
  const whose = owner ? `extension ${owner.extension} (${owner.name})` : 'another extension';
  return conflictError(
    `mobile +${mobile} already belongs to ${whose} of enterprise ${enterprise}; free it there first with --mobile none`,
  );
}

export const extensionList = defineCommand({
  group: 'extension',
  name: 'list',
  summary: "list an enterprise's named extensions and their mobiles",
  usage: 'fleet extension list --enterprise <n>',
  options: { enterprise: { type: 'string' } },
  parse: (o) => ({ enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise') }),
  async run({ enterprise }, { sql, out }) {
    const [e] = await sql`select 1 from enterprises where number = ${enterprise}`;
    if (!e) throw notFoundError(`enterprise ${enterprise} not found`);
    const rows = await sql<{ extension: string; name: string; mobile: string | null }[]>`
      select extension, name, mobile from extension_directory where enterprise = ${enterprise}
      order by length(extension), extension`;
    if (rows.length === 0) {
      out(`no extensions named for enterprise ${enterprise} (fleet extension add)`);
      return;
    }
    for (const line of renderTable(
      ['EXTENSION', 'NAME', 'MOBILE'],
      rows.map((r) => [r.extension, r.name, r.mobile ? `+${r.mobile}` : '-']),
    ))
      out(line);
  },
});

export const lineAdd = defineCommand({
  group: 'line',
  name: 'add',
  summary: 'name a line (trunk) shown on Telegram cards; replaces an earlier name',
  usage: 'fleet line add --enterprise <n> --trunk <trunk id> --name <name>',
  options: { enterprise: { type: 'string' }, trunk: { type: 'string' }, name: { type: 'string' } },
  parse: (o) => {
    const trunk = v.required(o, 'trunk');
    if (!/^[\w.-]{1,64}$/.test(trunk)) throw usageError('--trunk must be 1 to 64 letters, digits, ".", "_" or "-"');
    return {
      enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
      trunk,
      name: displayName(v.required(o, 'name')),
    };
  },
  async run({ enterprise, trunk, name }, { sql, out }) {
    const [e] = await sql`select 1 from enterprises where number = ${enterprise}`;
    if (!e) throw notFoundError(`enterprise ${enterprise} not found`);
    await sql`insert into line_directory (enterprise, trunk, name) values (${enterprise}, ${trunk}, ${name})
              on conflict (enterprise, trunk) do update set name = excluded.name`;
    out(`line ${trunk} → ${name} (enterprise ${enterprise})`);
  },
});
