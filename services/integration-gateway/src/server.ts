// Process entry: config, pool, app, listen; SIGTERM/SIGINT drain (HTTP, the delivery worker's
// in-flight rows, UNLISTEN), then end the pool (packages/service).
import { createSql } from '@fleet/db';
import { runService } from '@fleet/service';
import { buildApp } from './app.ts';
import { loadGatewayConfig } from './config.ts';

await runService('integration-gateway', async () => {
  const config = loadGatewayConfig();
  // Each delivering call holds one connection for the duration of its forward; leave room for requests.
  const sql = createSql(config.DATABASE_URL, { max: config.WORKER_CONCURRENCY + 6, applicationName: 'integration-gateway' });
  return { app: await buildApp({ config, sql }), port: config.GATEWAY_PORT, host: config.GATEWAY_HOST, pools: [sql] };
});
