// `pnpm start`: PostgreSQL (embedded unless DATABASE_URL), migrations, then every service as its own
// process with readable, prefixed logs. The services run as production runs them: the `pnpm build`
// bundles under plain node (rebuilt here when a source changed). Ctrl-C stops the services, then the
// embedded database.
import { bootFleet } from './boot.ts';

const say = (line: string) => console.log(`start: ${line}`);
try {
  const fleet = await bootFleet({ say, bundled: true });
  say(`fleet is up. Hosts post to http://127.0.0.1:${fleet.ports.callIntake}/<event>. Ctrl-C stops everything.`);
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  process.exit(1);
}
