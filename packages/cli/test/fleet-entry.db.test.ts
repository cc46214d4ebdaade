// The real entry: `pnpm fleet …` as a child process with DATABASE_URL, proving the script wiring,
// stdout/stderr and exit codes a shell script would see.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type TestDatabase } from '@fleet/db';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(() => db.drop());

function pnpmFleet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'pnpm',
      ['--silent', 'fleet', ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('pnpm fleet (child process)', () => {
  it('enterprise add: 0, then 4 on the duplicate, 2 on a bad number; --help is 0', async () => {
    const added = await pnpmFleet(
      'enterprise',
      'add',
      '--number',
      '301',
      '--name',
      'Spawned',
      '--token',
      '375291110301',
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^enterprise 301 added: Spawned, Europe\/Minsk, region BY, token \*\*\*\*0301\n$/);

    const dup = await pnpmFleet('enterprise', 'add', '--number', '301', '--name', 'Again', '--token', 'another');
    expect(dup.code).toBe(4);
    expect(dup.stderr).toBe('fleet enterprise add: an enterprise with this number already exists\n');

    const bad = await pnpmFleet('enterprise', 'add', '--number', 'abc', '--name', 'x', '--token', 'y');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^fleet enterprise add: --number must be 1 to 16 digits\nusage: fleet enterprise add /);

    const help = await pnpmFleet('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('fleet retailcrm map');

    const sql = createSql(db.url, { max: 1 });
    try {
      expect(await sql`select name from enterprises where number = '301'`).toEqual([{ name: 'Spawned' }]);
    } finally {
      await sql.end();
    }
  });
});
