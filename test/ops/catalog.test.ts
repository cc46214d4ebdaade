// Issue 2 §1: one catalog of shared versions. Every dependency of every workspace package names its
// version through `catalog:` (pnpm-workspace.yaml) or is a workspace package, so a version is changed
// in one place and two packages can never drift to different majors.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const manifests = [
  'package.json',
  ...['packages', 'services'].flatMap((dir) =>
    readdirSync(join(ROOT, dir)).map((name) => `${dir}/${name}/package.json`),
  ),
];
const KINDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

describe('pnpm catalog', () => {
  it('every dependency version comes from the catalog or the workspace', () => {
    const outside: string[] = [];
    for (const file of manifests) {
      const pkg = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Partial<
        Record<(typeof KINDS)[number], Record<string, string>>
      >;
      for (const kind of KINDS) {
        for (const [name, version] of Object.entries(pkg[kind] ?? {})) {
          if (version !== 'catalog:' && !version.startsWith('workspace:'))
            outside.push(`${file} ${kind} ${name}@${version}`);
        }
      }
    }
    expect(manifests.length).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });

  it('every catalog entry is used by some package', () => {
    const catalog = Object.keys(
      (parse(readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8')) as { catalog: Record<string, string> }).catalog,
    );
    const used = new Set(
      manifests.flatMap((file) => {
        const pkg = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<
          string,
          Record<string, string> | undefined
        >;
        return KINDS.flatMap((kind) => Object.keys(pkg[kind] ?? {}));
      }),
    );
    expect(catalog.filter((name) => !used.has(name))).toEqual([]);
  });
});
