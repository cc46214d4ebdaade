// Process entry: config, pools, migrations, app, listen; SIGTERM/SIGINT drain (accepted events are
// committed, the processor and dispatcher finish their round), then end the pools (packages/service).
import { createSql, migrate } from '@fleet/db';
import { logOptions } from '@fleet/log';
import { runService } from '@fleet/service';
import { buildApp } from './app.ts';
import { loadCallIntakeConfig } from './config.ts';

await runService('call-intake', async () => {
  const config = loadCallIntakeConfig();
  const sql = createSql(config.DATABASE_URL, { max: 8, applicationName: 'call-intake' });
  // The hot path's own pool: one group-commit batch in flight, token lookups, the LISTEN connection.
  const hotSql = createSql(config.DATABASE_URL, { max: 3, applicationName: 'call-intake-hot' });
  await migrate(sql);
  const app = await buildApp({
    sql,
    hotSql,
    config,
    logger: logOptions({ name: 'call-intake', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
  });
  return { app, port: config.CALL_INTAKE_PORT, host: config.CALL_INTAKE_HOST, pools: [sql, hotSql] };
});
