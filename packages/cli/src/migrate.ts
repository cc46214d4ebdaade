// `pnpm migrate`: applies sql/ to DATABASE_URL under the migration advisory lock and exits: the
// deployment's migration step (deploy/systemd/fleet-migrate.service, the compose `migrate` service),
// run before the services start. Exit 0 applied or nothing to do, 78 bad configuration (EX_CONFIG,
// as the services: no restart), 1 a migration failed (the file is named).
import { commonShape, ConfigError, loadConfig } from '@fleet/config';
import { createSql, migrate } from '@fleet/db';
import { exitWith } from './exit.ts';

const EXIT_CONFIG = 78;

try {
  const { DATABASE_URL } = loadConfig({ DATABASE_URL: commonShape.DATABASE_URL });
  const sql = createSql(DATABASE_URL, { max: 1, applicationName: 'fleet-migrate' });
  try {
    const result = await migrate(sql);
    console.log(
      `migrations: ${result.applied.length} applied${result.applied.length ? ` (${result.applied.join(', ')})` : ''}, ${result.alreadyApplied} already applied`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  exitWith(0);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`migrate: bad configuration: ${err.message}`);
    exitWith(EXIT_CONFIG);
  } else {
    console.error(`migrate: ${(err as Error).message}`);
    exitWith(1);
  }
}
