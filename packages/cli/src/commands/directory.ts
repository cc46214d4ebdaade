import { defineCommand } from '../command.ts';
import { notFoundError, usageError } from '../errors.ts';
import * as v from '../validate.ts';

// The names people read on Telegram cards: managers by extension, lines by trunk id.

const displayName = (s: string) => {
  const n = s.trim();
  if (n.length < 1 || n.length > 200) throw usageError('--name must be 1 to 200 characters');
  return n;
};

export const extensionAdd = defineCommand({
  group: 'extension',
  name: 'add',
  summary: "name a manager's extension (shown on Telegram cards); replaces an earlier name",
  usage: 'fleet extension add --enterprise <n> --extension <2-6 digits> --name <name>',
  options: { enterprise: { type: 'string' }, extension: { type: 'string' }, name: { type: 'string' } },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    extension: v.extension(v.required(o, 'extension')),
    name: displayName(v.required(o, 'name')),
  }),
  async run({ enterprise, extension, name }, { sql, out }) {
    const [e] = await sql`select 1 from enterprises where number = ${enterprise}`;
    if (!e) throw notFoundError(`enterprise ${enterprise} not found`);
    await sql`insert into extension_directory (enterprise, extension, name) values (${enterprise}, ${extension}, ${name})
              on conflict (enterprise, extension) do update set name = excluded.name`;
    out(`extension ${extension} → ${name} (enterprise ${enterprise})`);
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
    return { enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'), trunk, name: displayName(v.required(o, 'name')) };
  },
  async run({ enterprise, trunk, name }, { sql, out }) {
    const [e] = await sql`select 1 from enterprises where number = ${enterprise}`;
    if (!e) throw notFoundError(`enterprise ${enterprise} not found`);
    await sql`insert into line_directory (enterprise, trunk, name) values (${enterprise}, ${trunk}, ${name})
              on conflict (enterprise, trunk) do update set name = excluded.name`;
    out(`line ${trunk} → ${name} (enterprise ${enterprise})`);
  },
});
