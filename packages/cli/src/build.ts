// `pnpm build`: every service bundled into services/<name>/dist/server.mjs and the migration step into
// packages/cli/dist/migrate.mjs (packages/cli/src/bundle.ts): what `pnpm start`, deploy/systemd and
// deploy/docker-compose.yml run with plain node.
import { buildAll } from './bundle.ts';
import { exitWith } from './exit.ts';

try {
  for (const b of await buildAll())
    console.log(`build: ${b.outfile} ${(b.bytes / 1024).toFixed(0)} KiB in ${b.ms.toFixed(0)} ms`);
  exitWith(0);
} catch (err) {
  console.error(`build: ${(err as Error).message}`);
  exitWith(1);
}
