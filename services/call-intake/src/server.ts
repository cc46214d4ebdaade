// Process entry: config, pools, migrations, app, listen; SIGTERM/SIGINT drain (accepted events are
// committed, the processor and dispatcher finish their round), then end the pools (packages/service).
import { createSql } from '@fleet/db';
import { logOptions } from '@fleet/log';
import { runService } from '@fleet/service';
import { buildApp } from './app.ts';
import { loadCallIntakeConfig } from './config.ts';
import { migrateOrDefer } from './schema.ts';

await runService('call-intake', async () => {
  const config = loadCallIntakeConfig();
  const sql = createSql(config.DATABASE_URL, { max: 8, applicationName: 'call-intake' });
  // The hot path's own pool: one group-commit batch in flight, token lookups, the LISTEN connection.
  const hotSql = createSql(config.DATABASE_URL, { max: 3, applicationName: 'call-intake-hot' });
  // With an outage journal (always, from config), PostgreSQL down at boot does not stop us: events
  // are journaled and the migrations applied once it answers (src/schema.ts).
  const schema = await migrateOrDefer(sql, { deferrable: Boolean(config.JOURNAL_DIR) });
  const app = await buildApp({
    schema,
    sql,
    hotSql,
    config,
    logger: logOptions({ name: 'call-intake', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
  });
  schema.start(app.log);
  app.addHook('onClose', async () => schema.stop());
  return { app, port: config.CALL_INTAKE_PORT, host: config.CALL_INTAKE_HOST, pools: [sql, hotSql] };
});
