import { devSecretsPath, loadOrCreateDevSecrets } from '@fleet/secrets';
import type { ServiceSpec } from './supervisor.ts';

export interface FleetPorts {
  callIntake: number;
  gateway: number;
  retailcrm: number;
  /** services/asterisk (click-to-call over SSH); left out of the fleet when undefined. */
  asterisk?: number;
}

/** The fleet's ports from the environment (the same variables the services read), with defaults. */
export function portsFromEnv(env: Record<string, string | undefined> = process.env): FleetPorts {
  return {
    callIntake: Number(env.CALL_INTAKE_PORT ?? 8000),
    gateway: Number(env.GATEWAY_PORT ?? 8020),
    retailcrm: Number(env.RETAILCRM_PORT ?? 8019),
    asterisk: Number(env.ASTERISK_PORT ?? 8018),
  };
}

/** The bundle of a service (`pnpm build`), relative to the repository root: what production runs. */
export const bundleEntry = (dir: string): string => `services/${dir}/dist/server.mjs`;

/** The migration step's bundle (`pnpm build`; packages/cli/src/migrate.ts), run by deploy/ before the services. */
export const MIGRATE_ENTRY = 'packages/cli/dist/migrate.mjs';

export interface FleetOptions {
  /**
   * Run the bundles of `pnpm build` under plain node (`pnpm start`, the bundle test, benchmarks)
   * instead of the TypeScript sources under tsx (tests: no build step between an edit and a run).
   */
  bundled?: boolean;
}

/**
 * The service processes of the fleet in start order (downstream first, so that nothing upstream
 * queues against a service that is still starting), each told where the others are.
 */
export function fleetServices(
  databaseUrl: string,
  ports: FleetPorts,
  extraEnv: Record<string, string> = {},
  opts: FleetOptions = {},
): ServiceSpec[] {
  const entry = (dir: string) => (opts.bundled ? bundleEntry(dir) : `services/${dir}/src/server.ts`);
  const common = {
    DATABASE_URL: databaseUrl,
    CALL_INTAKE_PORT: String(ports.callIntake),
    GATEWAY_PORT: String(ports.gateway),
    RETAILCRM_PORT: String(ports.retailcrm),
    GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
    RETAILCRM_URL: `http://127.0.0.1:${ports.retailcrm}`,
    ...(ports.asterisk === undefined
      ? {}
      : { ASTERISK_PORT: String(ports.asterisk), ASTERISK_URL: `http://127.0.0.1:${ports.asterisk}` }),
    ...extraEnv,
  };
  // retailcrm's make-call calls the asterisk service: it starts first.
  const asterisk: ServiceSpec[] =
    ports.asterisk === undefined
      ? []
      : [
          {
            name: 'asterisk',
            entry: entry('asterisk'),
            healthUrl: `http://127.0.0.1:${ports.asterisk}/health`,
            env: common,
          },
        ];
  return [
    ...asterisk,
    {
      name: 'retailcrm',
      entry: entry('retailcrm'),
      healthUrl: `http://127.0.0.1:${ports.retailcrm}/health`,
      env: common,
    },
    {
      name: 'gateway',
      entry: entry('integration-gateway'),
      healthUrl: `http://127.0.0.1:${ports.gateway}/health`,
      env: common,
    },
    {
      name: 'call-intake',
      entry: entry('call-intake'),
      healthUrl: `http://127.0.0.1:${ports.callIntake}/health`,
      env: common,
    },
  ];
}

/**
 * JWT_SECRET and SECRETS_KEY for the services `pnpm start`/`pnpm demo` run: the environment's, else
 * development values generated once into FLEET_DATA_DIR/dev-secrets.json (so admin links and stored
 * keys survive restarts, and `pnpm fleet` on the same database uses the same ones).
 */
export function secretsEnv(env: Record<string, string | undefined> = process.env): {
  vars: Record<string, string>;
  note?: string;
} {
  if (env.JWT_SECRET && env.SECRETS_KEY) return { vars: { JWT_SECRET: env.JWT_SECRET, SECRETS_KEY: env.SECRETS_KEY } };
  const dev = loadOrCreateDevSecrets(env);
  return {
    vars: { JWT_SECRET: env.JWT_SECRET || dev.JWT_SECRET, SECRETS_KEY: env.SECRETS_KEY || dev.SECRETS_KEY },
    note: `development secrets from ${devSecretsPath(env)} (set JWT_SECRET and SECRETS_KEY in production)`,
  };
}
