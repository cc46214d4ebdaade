// Process entry: config, pool, app, listen; SIGTERM/SIGINT drain (in-flight requests, the outbound
// Agent), then end the pool (packages/service).
import { createSql } from '@fleet/db';
import { runService } from '@fleet/service';
import { buildApp } from './app.ts';
import { loadRetailCrmConfig } from './config.ts';

await runService('retailcrm', async () => {
  const config = loadRetailCrmConfig();
  const sql = createSql(config.DATABASE_URL, { max: 10, applicationName: 'retailcrm' });
  return {
    app: await buildApp({ config, sql }),
    port: config.RETAILCRM_PORT,
    host: config.RETAILCRM_HOST,
    pools: [sql],
  };
});
