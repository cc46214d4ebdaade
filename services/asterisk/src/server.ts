// Process entry: config, pool, app, listen; SIGTERM/SIGINT drain (in-flight requests, SSH
// connections), then end the pool (packages/service).
import { createSql } from '@fleet/db';
import { runService } from '@fleet/service';
import { buildApp } from './app.ts';
import { loadAsteriskConfig } from './config.ts';

await runService('asterisk', async () => {
  const config = loadAsteriskConfig();
  const sql = createSql(config.DATABASE_URL, { max: 10, applicationName: 'asterisk' });
  return { app: await buildApp({ config, sql }), port: config.ASTERISK_PORT, host: config.ASTERISK_HOST, pools: [sql] };
});
