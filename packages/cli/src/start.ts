// `pnpm start`: PostgreSQL (embedded unless DATABASE_URL), migrations, then every service as its own
// process with readable, prefixed logs. Ctrl-C stops the services, then the embedded database.
import { bootFleet } from './boot.ts';

const say = (line: string) => console.log(`start: ${line}`);
try {
  const fleet = await bootFleet({ say });
  say(`fleet is up. Hosts post to http://127.0.0.1:${fleet.ports.callIntake}/<event>. Ctrl-C stops everything.`);
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  process.exit(1);
}
