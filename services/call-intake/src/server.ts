// call-intake process: config from the environment, one database pool, listen, graceful shutdown.
import { createSql, migrate } from '@fleet/db';
import { ConfigError } from '@fleet/config';
import { logOptions } from '@fleet/log';
import { buildApp } from './app.ts';
import { loadCallIntakeConfig } from './config.ts';

let config;
try {
  config = loadCallIntakeConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`call-intake: bad configuration: ${err.message}`);
    process.exit(78);
  }
  throw err;
}

const sql = createSql(config.DATABASE_URL, { max: 8, applicationName: 'call-intake' });
// One batch is in flight at a time, plus token lookups and the LISTEN connection.
const hotSql = createSql(config.DATABASE_URL, { max: 3, applicationName: 'call-intake-hot' });
await migrate(sql);
const app = await buildApp({
  sql,
  hotSql,
  config,
  logger: logOptions({ name: 'call-intake', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
});

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining accepted events');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    await app.close();
    await Promise.all([sql.end({ timeout: 5 }), hotSql.end({ timeout: 5 })]);
    clearTimeout(force);
    process.exit(0);
  });
}

await app.listen({ port: config.CALL_INTAKE_PORT, host: config.CALL_INTAKE_HOST });
