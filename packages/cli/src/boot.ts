import { createSql, migrate, resolveDatabase, type ResolvedDatabase } from '@fleet/db';
import { buildIfNeeded, TARGETS } from './bundle.ts';
import { fleetServices, portsFromEnv, secretsEnv, type FleetPorts } from './fleet-services.ts';
import { Supervisor } from './supervisor.ts';

const COLORS: Record<string, string> = {
  'call-intake': '\x1b[36m',
  gateway: '\x1b[35m',
  retailcrm: '\x1b[33m',
  asterisk: '\x1b[32m',
};

export interface BootedFleet {
  db: ResolvedDatabase;
  supervisor: Supervisor;
  ports: FleetPorts;
  /** Stops the services, then the embedded database when this boot started it. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * What `pnpm start` and `pnpm demo` share: PostgreSQL (embedded unless DATABASE_URL), migrations,
 * then every service as its own supervised process with name-prefixed output; with `bundled` the
 * services run as `pnpm build` bundles under plain node (built first when missing or stale). SIGINT/SIGTERM stop
 * everything cleanly.
 * @throws Error when the database cannot start or a service does not become healthy (after stopping
 * what was started).
 */
export async function bootFleet(opts: {
  say: (line: string) => void;
  env?: Record<string, string>;
  bundled?: boolean;
}): Promise<BootedFleet> {
  const { say } = opts;
  if (opts.bundled) {
    // Before the database: a build error stops here with nothing to clean up.
    const built = await buildIfNeeded(TARGETS.filter((t) => t.outfile.startsWith('services/')));
    say(built.length ? `built ${built.map((b) => b.outfile).join(', ')}` : 'service bundles are up to date');
  }
  const db = await resolveDatabase(process.env, say).catch((err: Error) => {
    throw new Error(
      `cannot start PostgreSQL: ${err.message} (another start/demo on the same FLEET_DATA_DIR? or set DATABASE_URL)`,
    );
  });
  say(db.embedded ? `embedded PostgreSQL ready (${redact(db.url)})` : `using DATABASE_URL (${redact(db.url)})`);
  const sql = createSql(db.url, { max: 1 });
  try {
    const migrated = await migrate(sql);
    say(`migrations applied: ${migrated.applied.length ? migrated.applied.join(', ') : 'none new'}`);
  } finally {
    await sql.end();
  }

  const tty = process.stdout.isTTY;
  const supervisor = new Supervisor({
    restart: true,
    onLine: (name, line) =>
      console.log(`${tty ? (COLORS[name] ?? '') : ''}${name.padEnd(12)}${tty ? '\x1b[0m' : ''}| ${line}`),
  });
  let stopped: Promise<void> | null = null;
  const shutdown = () =>
    (stopped ??= (async () => {
      say('stopping services…');
      await supervisor.stopAll();
      if (db.embedded) {
        say('stopping embedded PostgreSQL…');
        await db.embedded.stop().catch(() => {});
      }
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void shutdown().then(() => process.exit(0)));
  }

  const ports = portsFromEnv();
  const secrets = secretsEnv(process.env);
  if (secrets.note) say(secrets.note);
  // Generated development secrets mean a development run: FLEET_DEV=1 lets retailcrm default
  // PUBLIC_BASE_URL to its local port (with real secrets it must be set, as in production).
  const dev: Record<string, string> = secrets.note ? { FLEET_DEV: '1' } : {};
  try {
    for (const spec of fleetServices(
      db.url,
      ports,
      { LOG_PRETTY: tty ? 'true' : 'false', ...dev, ...secrets.vars, ...opts.env },
      { bundled: opts.bundled },
    )) {
      await supervisor.start(spec, 60_000);
      say(`${spec.name} is up (${spec.healthUrl})`);
    }
  } catch (err) {
    await shutdown();
    throw err;
  }
  return { db, supervisor, ports, shutdown };
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
