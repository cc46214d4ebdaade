// The production build (`pnpm build`): each service's src/server.ts bundled by esbuild into
// services/<name>/dist/server.mjs, and the migration step into packages/cli/dist/migrate.mjs, run by
// plain `node` (no tsx loader in the process: BENCHMARKS.md 7). Workspace packages (@fleet/*) are
// bundled in; npm packages stay external and are resolved from the bundle's own package at run time,
// so each one a bundle imports must be a dependency of that package.json (checked here: pnpm does not
// hoist transitive dependencies where the bundle could see them).
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { bundleEntry, MIGRATE_ENTRY } from './fleet-services.ts';
import { REPO_ROOT } from './supervisor.ts';

/** The service folders under services/ that have a src/server.ts to bundle. */
export const SERVICE_DIRS = ['asterisk', 'retailcrm', 'integration-gateway', 'call-intake'] as const;

/** One bundle: its TypeScript entry, its output and the package whose dependencies it may import (repository-relative). */
export interface BundleTarget {
  entry: string;
  outfile: string;
  packageDir: string;
}

/** Every bundle `pnpm build` makes: the services, then the migration step. */
export const TARGETS: readonly BundleTarget[] = [
  ...SERVICE_DIRS.map((dir) => ({
    entry: `services/${dir}/src/server.ts`,
    outfile: bundleEntry(dir),
    packageDir: `services/${dir}`,
  })),
  { entry: 'packages/cli/src/migrate.ts', outfile: MIGRATE_ENTRY, packageDir: 'packages/cli' },
];

/**
 * npm packages loaded without a static import, so the import check cannot see them: pino resolves its
 * transport target (`pino-pretty` with LOG_PRETTY) from the calling file, i.e. the bundle.
 */
const RUNTIME_LOADED: Record<string, string[]> = { pino: ['pino-pretty'] };

const abs = (p: string) => join(REPO_ROOT, p);
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const isBuiltin = (s: string) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!);

/**
 * Resolves the workspace's own files as they were in the source tree. `import.meta.url` in a bundled
 * source file is rewritten to that file's URL computed from the bundle's location (so
 * `new URL('../../../sql/', import.meta.url)` in packages/db still finds sql/, and retailcrm's
 * public/ is still found): a bundle lives in the checkout it was built from, next to sql/, public/
 * and node_modules, as every deployment runs it. Any other bare import that is not @fleet/* is
 * external and must be declared.
 */
function workspacePlugin(target: BundleTarget, declared: Set<string>, problems: string[]): Plugin {
  const outdir = abs(dirname(target.outfile));
  return {
    name: 'fleet-workspace',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@fleet/')) return undefined; // bundled, through the workspace symlinks
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const name = packageName(args.path);
        for (const needed of [name, ...(RUNTIME_LOADED[name] ?? [])]) {
          if (!declared.has(needed)) {
            const why =
              needed === name ? `imported by ${relative(REPO_ROOT, args.importer)}` : `loaded at run time by ${name}`;
            problems.push(`${needed} (${why}) is not in the dependencies of ${target.packageDir}/package.json`);
          }
        }
        return { path: args.path, external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        for (const unsupported of ['import.meta.dirname', 'import.meta.filename', '__dirname', '__filename']) {
          if (text.includes(unsupported))
            problems.push(
              `${relative(REPO_ROOT, args.path)} uses ${unsupported}: use new URL(…, import.meta.url), which a bundle keeps pointing at the source tree`,
            );
        }
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        const source = relative(outdir, args.path).split(sep).join('/');
        return {
          contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(source)}, import.meta.url).href`),
          loader: 'ts',
        };
      });
    },
  };
}

export interface Built {
  outfile: string;
  bytes: number;
  ms: number;
}

const inputsFile = (target: BundleTarget) => abs(`${target.outfile}.inputs.json`);

/**
 * Bundles one target. Writes the bundle and its source map through a temporary name and a rename, so
 * a process (re)started meanwhile never reads half a file.
 * @throws Error naming every npm import the package.json does not declare, and esbuild's errors.
 */
export async function buildTarget(target: BundleTarget): Promise<Built> {
  const t0 = performance.now();
  const pkg = JSON.parse(readFileSync(abs(`${target.packageDir}/package.json`), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const declared = new Set(Object.keys(pkg.dependencies ?? {}));
  const problems: string[] = [];
  const outfile = abs(target.outfile);
  const result = await build({
    entryPoints: [abs(target.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    // The sources are in the checkout next to the bundle: the map points at them instead of copying them.
    sourcesContent: false,
    // Function and class names stay as written (stack traces, error names in logs).
    keepNames: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins: [workspacePlugin(target, declared, problems)],
  });
  if (problems.length) throw new Error([...new Set(problems)].join('\n'));
  mkdirSync(dirname(outfile), { recursive: true });
  let bytes = 0;
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
    if (file.path === outfile) bytes = file.contents.byteLength;
  }
  writeFileSync(inputsFile(target), JSON.stringify(inputsOf(result.metafile)));
  return { outfile: target.outfile, bytes, ms: performance.now() - t0 };
}

/** The source files a bundle was made from (repository-relative), for the freshness check. */
const inputsOf = (meta: Metafile): string[] => Object.keys(meta.inputs).map((p) => relative(REPO_ROOT, abs(p)));

/**
 * Bundles every target (in parallel: esbuild works on its own threads).
 * @throws Error with every failing target's problems, one per line.
 */
export async function buildAll(targets: readonly BundleTarget[] = TARGETS): Promise<Built[]> {
  const results = await Promise.allSettled(targets.map((t) => buildTarget(t)));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failed.length) throw new Error(failed.join('\n'));
  return results.map((r) => (r as PromiseFulfilledResult<Built>).value);
}

const mtime = (p: string) => statSync(p, { throwIfNoEntry: false })?.mtimeMs;

/**
 * Whether a bundle is missing or older than one of its inputs, its package.json or this build script
 * (the inputs are listed next to the bundle at each build).
 */
export function bundleStale(target: BundleTarget): boolean {
  const built = mtime(abs(target.outfile));
  if (built === undefined || !existsSync(inputsFile(target))) return true;
  const inputs = [
    ...(JSON.parse(readFileSync(inputsFile(target), 'utf8')) as string[]),
    `${target.packageDir}/package.json`,
    'packages/cli/src/bundle.ts',
  ];
  return inputs.some((p) => (mtime(abs(p)) ?? Infinity) > built);
}

/** Builds the targets whose bundle is stale (`pnpm start`); returns what it built. */
export function buildIfNeeded(targets: readonly BundleTarget[] = TARGETS): Promise<Built[]> {
  return buildAll(targets.filter(bundleStale));
}
