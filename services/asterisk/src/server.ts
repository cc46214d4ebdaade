// Process entry: config, pool, app, listen; SIGTERM/SIGINT close the app (in-flight requests finish,
// SSH connections close) and then end the pool.
import { createSql } from '@fleet/db';
import { buildApp } from './app.ts';
import { loadAsteriskConfig } from './config.ts';

const config = loadAsteriskConfig();
const sql = createSql(config.DATABASE_URL, { max: 10, applicationName: 'asterisk' });
const app = await buildApp({ config, sql });

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 20_000);
  force.unref();
  try {
    await app.close();
    await sql.end({ timeout: 5 });
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  await app.listen({ port: config.ASTERISK_PORT, host: config.ASTERISK_HOST });
} catch (err) {
  app.log.fatal({ err }, 'cannot listen');
  await sql.end({ timeout: 1 });
  process.exit(1);
}
