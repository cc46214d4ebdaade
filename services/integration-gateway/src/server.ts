// Process entry: config, pool, app, listen; SIGTERM/SIGINT drain (HTTP and the forwards in
// flight, UNLISTEN), then end the pool (packages/service).
import { createSql } from '@fleet/db';
import { runService } from '@fleet/service';
import { buildApp } from './app.ts';
import { loadGatewayConfig } from './config.ts';

await runService('integration-gateway', async () => {
  const config = loadGatewayConfig();
  // The database serves only the enablement cache (loads, LISTEN): forwards hold no connection.
  const sql = createSql(config.DATABASE_URL, { max: 4, applicationName: 'integration-gateway' });
  return { app: await buildApp({ config, sql }), port: config.GATEWAY_PORT, host: config.GATEWAY_HOST, pools: [sql] };
});
