// Argument handling of `fleet`, which must settle help and usage errors before any database is opened.
import { describe, expect, it } from 'vitest';
import { runFleet } from '../src/index.ts';

const run = async (argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  let connected = false;
  const code = await runFleet(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    connect: async () => {
      connected = true;
      throw new Error('no database in unit tests');
    },
  });
  return { code, out, err, connected };
};

describe('fleet argument handling', () => {
  it('fleet --help lists every command with its usage line', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of [
      'enterprise add',
      'enterprise list',
      'enterprise set',
      'retailcrm set',
      'retailcrm map',
      'retailcrm unmap',
      'retailcrm show',
    ]) {
      expect(r.out.some((l) => l.includes(`fleet ${c}`))).toBe(true);
    }
  });

  it('fleet <cmd> --help prints that usage; fleet <group> --help lists the group', async () => {
    const r = await run(['retailcrm', 'map', '--help']);
    expect(r).toMatchObject({ code: 0, connected: false });
    expect(r.out[0]).toBe(
      'usage: fleet retailcrm map --enterprise <n> --user <RetailCRM user id> --extension <2-6 digits>',
    );
    const g = await run(['enterprise', '--help']);
    expect(g.code).toBe(0);
    expect(g.out.filter((l) => l.includes('fleet '))).toHaveLength(3);
  });

  it('usage errors exit 2 with one message line and the usage line, without connecting', async () => {
    const cases: [string[], RegExp][] = [
      [[], /a command is required/],
      [['enterprise'], /a command is required/],
      [['bogus'], /unknown command: bogus/],
      [['enterprise', 'remove'], /unknown command: enterprise remove/],
      [['enterprise', 'add', '--number', '1', '--name', 'x'], /--token is required/],
      [
        ['enterprise', 'add', '--number', '1', '--name', 'x', '--token', 't', '--timezone', 'Nowhere/City'],
        /not a known IANA time zone/,
      ],
      [['enterprise', 'add', '--number', '1', '--bogus'], /Unknown option '--bogus'/],
      [['enterprise', 'set', '--number', '1'], /nothing to change/],
      [['enterprise', 'set', '--number', '1', '--active', 'maybe'], /--active must be true or false/],
      [
        ['retailcrm', 'set', '--enterprise', '1', '--domain', 'http://shop.retailcrm.ru', '--api-key', 'k'],
        /must use https/,
      ],
      [
        ['retailcrm', 'map', '--enterprise', '1', '--user', '0', '--extension', '151'],
        /--user must be a positive integer/,
      ],
      [
        ['retailcrm', 'map', '--enterprise', '1', '--user', '18', '--extension', '1'],
        /--extension must be 2 to 6 digits/,
      ],
      [['enterprise', 'list', 'extra'], /Unexpected argument 'extra'/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err[0], argv.join(' ')).toMatch(message);
      expect(r.err[1], argv.join(' ')).toMatch(/^usage:/);
      expect(r.connected).toBe(false);
    }
  });

  it('a database that cannot be reached is exit 1 with one line', async () => {
    const r = await run(['enterprise', 'list']);
    expect(r).toMatchObject({ code: 1, connected: true });
    expect(r.err).toEqual(['fleet enterprise list: failed: no database in unit tests']);
  });
});
