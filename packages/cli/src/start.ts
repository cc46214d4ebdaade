// `pnpm start`: PostgreSQL (embedded unless DATABASE_URL), migrations, then every service as its own
// process with readable, prefixed logs. Ctrl-C stops the services, then the embedded database.
import { createSql, migrate, resolveDatabase } from '@fleet/db';
import { fleetServices, portsFromEnv } from './fleet-services.ts';
import { Supervisor } from './supervisor.ts';

const COLORS: Record<string, string> = { 'call-intake': '\x1b[36m', gateway: '\x1b[35m', retailcrm: '\x1b[33m' };

const db = await resolveDatabase(process.env).catch((err: Error) => {
  console.error(`start: cannot start PostgreSQL: ${err.message}`);
  console.error('start: is another `pnpm start` running on the same FLEET_DATA_DIR? Or set DATABASE_URL.');
  process.exit(1);
});
console.log(db.embedded ? `start: embedded PostgreSQL ready (${redact(db.url)})` : `start: using DATABASE_URL (${redact(db.url)})`);
const sql = createSql(db.url, { max: 1 });
const migrated = await migrate(sql);
await sql.end();
console.log(`start: migrations applied: ${migrated.applied.length ? migrated.applied.join(', ') : 'none new'}`);

const tty = process.stdout.isTTY;
const supervisor = new Supervisor({
  restart: true,
  onLine: (name, line) => console.log(`${tty ? (COLORS[name] ?? '') : ''}${name.padEnd(12)}${tty ? '\x1b[0m' : ''}| ${line}`),
});

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('start: stopping services…');
    await supervisor.stopAll();
    if (db.embedded) {
      console.log('start: stopping embedded PostgreSQL…');
      await db.embedded.stop().catch(() => {});
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const ports = portsFromEnv();
const env = { LOG_PRETTY: tty ? 'true' : 'false' };
try {
  for (const spec of fleetServices(db.url, ports, env)) {
    await supervisor.start(spec, 60_000);
    console.log(`start: ${spec.name} is up (${spec.healthUrl})`);
  }
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  await shutdown(1);
}
console.log(`start: fleet is up. Hosts post to http://127.0.0.1:${ports.callIntake}/<event>. Ctrl-C stops everything.`);

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
