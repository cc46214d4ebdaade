// The deployment kit stays in step with the code: one systemd unit per service with the restart
// policy and hardening (and `systemd-analyze verify` where it exists), a compose file whose services,
// variables and entry points are the real ones, one .env.example for both, and the README's
// configuration table — all checked against the services' config modules (deploy/config-reference.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../../packages/service/src/index.ts';
import { TARGETS } from '../../packages/cli/src/bundle.ts';
import { bundleEntry, MIGRATE_ENTRY } from '../../packages/cli/src/fleet-services.ts';
import { BUNDLE_NODE_ARGS } from '../../packages/cli/src/supervisor.ts';
import {
  COMPOSE_ONLY,
  configTable,
  ENV_EXAMPLE,
  envExample,
  envFileNames,
  README,
  readmeWithTable,
  variables,
  variablesOf,
  type Service,
} from '../../deploy/config-reference.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const UNITS = join(ROOT, 'deploy/systemd');
const SERVICES: Record<string, { unit: string; entry: string }> = {
  'call-intake': { unit: 'fleet-call-intake@.service', entry: 'services/call-intake/src/server.ts' },
  'integration-gateway': {
    unit: 'fleet-integration-gateway.service',
    entry: 'services/integration-gateway/src/server.ts',
  },
  retailcrm: { unit: 'fleet-retailcrm.service', entry: 'services/retailcrm/src/server.ts' },
  asterisk: { unit: 'fleet-asterisk.service', entry: 'services/asterisk/src/server.ts' },
};
/** Production runs `pnpm build`'s bundle of an entry under plain node (no tsx): the bundle `pnpm build` makes of it. */
const bundleOf = (entry: string): string => {
  const target = TARGETS.find((t) => t.entry === entry);
  expect(target, `pnpm build bundles ${entry}`).toBeDefined();
  return target!.outfile;
};
const NODE = BUNDLE_NODE_ARGS.join(' ');

/** A unit file as `Section.Key` → values (keys may repeat). */
function unit(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of readFileSync(join(UNITS, file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) section = head[1]!;
    else {
      const eq = line.indexOf('=');
      expect(eq, `${file}: ${line}`).toBeGreaterThan(0);
      const key = `${section}.${line.slice(0, eq)}`;
      out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
    }
  }
  return out;
}
const one = (u: Map<string, string[]>, key: string) => u.get(key)?.at(-1);

describe('deploy/systemd', () => {
  it('has one unit per service plus the migration step and a target, nothing else', () => {
    expect(readdirSync(UNITS).sort()).toEqual(
      [...Object.values(SERVICES).map((s) => s.unit), 'fleet-migrate.service', 'fleet.target'].sort(),
    );
  });

  for (const [service, { unit: file, entry }] of Object.entries(SERVICES)) {
    it(`${file}: restarts on failure within a limit, never on bad config, runs hardened after the migrations`, () => {
      const u = unit(file);
      expect(existsSync(join(ROOT, entry))).toBe(true);
      expect(bundleOf(entry)).toBe(bundleEntry(service));
      expect(one(u, 'Service.ExecStart')).toMatch(new RegExp(`(^| )/usr/bin/node ${NODE} ${bundleOf(entry)}$`));
      expect(one(u, 'Service.WorkingDirectory')).toBe('/opt/fleet');
      expect(one(u, 'Service.EnvironmentFile')).toBe('/etc/fleet/fleet.env');
      expect(one(u, 'Service.Restart')).toBe('on-failure');
      expect(one(u, 'Service.RestartPreventExitStatus')).toBe(String(EXIT_CONFIG));
      expect(Number(one(u, 'Unit.StartLimitBurst'))).toBeGreaterThan(0);
      expect(Number(one(u, 'Unit.StartLimitIntervalSec'))).toBeGreaterThan(0);
      expect(one(u, 'Unit.Requires')).toContain('fleet-migrate.service');
      expect(one(u, 'Unit.After')).toContain('fleet-migrate.service');
      // runService's drain (20 s) must fit in the stop timeout.
      expect(Number(one(u, 'Service.TimeoutStopSec'))).toBeGreaterThan(20);
      for (const [key, value] of Object.entries({
        User: 'fleet',
        NoNewPrivileges: 'yes',
        ProtectSystem: 'strict',
        ProtectHome: 'yes',
        PrivateTmp: 'yes',
        ReadWritePaths: '/var/lib/fleet',
      }))
        expect(`${key}=${one(u, `Service.${key}`)}`).toBe(`${key}=${value}`);
      expect(service === 'call-intake' ? one(u, 'Service.ExecStart') : 'n/a').toMatch(
        service === 'call-intake' ? /JOURNAL_DIR=\/var\/lib\/fleet\// : /n\/a/,
      );
    });
  }

  it('fleet-migrate.service is a oneshot `pnpm migrate` (its bundle) that stays active for the units requiring it', () => {
    const u = unit('fleet-migrate.service');
    expect(one(u, 'Service.Type')).toBe('oneshot');
    expect(one(u, 'Service.RemainAfterExit')).toBe('yes');
    expect(bundleOf('packages/cli/src/migrate.ts')).toBe(MIGRATE_ENTRY);
    expect(one(u, 'Service.ExecStart')).toBe(`/usr/bin/node ${NODE} ${MIGRATE_ENTRY}`);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.migrate).toBe(
      'tsx packages/cli/src/migrate.ts',
    );
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  it.skipIf(analyze.status !== 0)('passes `systemd-analyze verify` (and the check does catch a broken unit)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-units-'));
    try {
      for (const f of readdirSync(UNITS)) copyFileSync(join(UNITS, f), join(dir, f));
      copyFileSync(join(UNITS, 'fleet-call-intake@.service'), join(dir, 'fleet-call-intake@8000.service'));
      const files = [
        'fleet-migrate.service',
        'fleet-call-intake@8000.service',
        'fleet-integration-gateway.service',
        'fleet-retailcrm.service',
        'fleet-asterisk.service',
        'fleet.target',
      ];
      const verify = (names: string[]) =>
        spawnSync('systemd-analyze', ['verify', '--man=no', ...names.map((f) => join(dir, f))], {
          encoding: 'utf8',
          cwd: dir,
        });
      const ok = verify(files);
      expect(`${ok.status} ${ok.stderr}`).toBe('0 ');
      writeFileSync(
        join(dir, 'broken.service'),
        readFileSync(join(dir, 'fleet-retailcrm.service'), 'utf8').replace('Restart=on-failure', 'Restart=sometimes'),
      );
      const bad = verify(['broken.service']);
      expect(bad.stderr).toMatch(/restart specifier/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface ComposeService {
  environment?: Record<string, string>;
  env_file?: string[];
  command?: string[];
  network_mode?: string;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const composeText = readFileSync(join(ROOT, 'deploy/docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };

describe('deploy/docker-compose.yml', () => {
  const fleet = Object.entries(compose.services).filter(([name]) => !['postgres', 'nginx', 'migrate'].includes(name));
  const serviceOf = (name: string) => name.replace(/-\d+$/, '') as Service;

  it('runs PostgreSQL, the migration step, every service (call-intake twice) and nginx', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'asterisk',
        'call-intake-1',
        'call-intake-2',
        'integration-gateway',
        'migrate',
        'nginx',
        'postgres',
        'retailcrm',
      ].sort(),
    );
    expect(compose.services.migrate!.command).toEqual([
      'node',
      ...BUNDLE_NODE_ARGS,
      bundleOf('packages/cli/src/migrate.ts'),
    ]);
  });

  for (const [name, svc] of fleet) {
    it(`${name}: its real entry point, only variables its config reads, the shared env file, after the migrations`, () => {
      const service = serviceOf(name);
      expect(svc.command).toEqual(['node', ...BUNDLE_NODE_ARGS, bundleOf(SERVICES[service]!.entry)]);
      const known = new Set(variablesOf(service).map((v) => v.name));
      for (const key of Object.keys(svc.environment ?? {}))
        expect(`${key}: ${known.has(key) ? 'read' : 'not read'} by ${service}`).toBe(`${key}: read by ${service}`);
      expect(svc.env_file).toEqual(['.env']);
      expect(svc.environment?.DATABASE_URL).toMatch(
        /^postgres:\/\/fleet:\$\{POSTGRES_PASSWORD\}@postgres:5432\/fleet$/,
      );
      expect(svc.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      // Loopback between services, as under systemd (internal routes accept loopback peers only).
      expect(svc.network_mode).toBe('service:nginx');
    });
  }

  it('gets every required variable from its environment or the env file', () => {
    const envFile = new Set(envFileNames(readFileSync(ENV_EXAMPLE, 'utf8')));
    for (const [name, svc] of fleet) {
      for (const v of variablesOf(serviceOf(name)).filter((x) => x.required)) {
        expect(`${name} ${v.name} ${v.name in (svc.environment ?? {}) || envFile.has(v.name)}`).toBe(
          `${name} ${v.name} true`,
        );
      }
    }
  });

  it('runs the call-intake instances nginx lists, each with its own journal', () => {
    const upstreams = readFileSync(join(ROOT, 'nginx/fleet-upstreams.conf'), 'utf8');
    const intake = /upstream fleet_call_intake \{([^}]*)\}/.exec(upstreams)![1]!;
    const listed = [...intake.matchAll(/server 127\.0\.0\.1:(\d+)/g)].map((m) => m[1]);
    const ports = fleet.filter(([n]) => serviceOf(n) === 'call-intake').map(([, s]) => s.environment!.CALL_INTAKE_PORT);
    expect(ports.sort()).toEqual(listed.sort());
    const journals = fleet
      .filter(([n]) => serviceOf(n) === 'call-intake')
      .map(([, s]) => s.volumes?.find((v) => v.endsWith(':/var/lib/fleet/journal')));
    expect(journals.every(Boolean) && new Set(journals).size === journals.length).toBe(true);
  });

  it('builds the bundles it runs inside the image, never copying a local dist/', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^RUN pnpm install --frozen-lockfile && pnpm build( |$)/m);
    expect(readFileSync(join(ROOT, 'deploy/Dockerfile.dockerignore'), 'utf8').split('\n')).toContain('**/dist');
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.build).toBe(
      'tsx packages/cli/src/build.ts',
    );
  });

  it('interpolates only the compose-only variables of .env.example, and mounts files that exist', () => {
    const interpolated = new Set([...composeText.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!));
    expect([...interpolated].sort()).toEqual(Object.keys(COMPOSE_ONLY).sort());
    for (const volume of compose.services.nginx!.volumes ?? []) {
      const host = volume.split(':')[0]!;
      if (host.startsWith('../')) expect(existsSync(resolve(ROOT, 'deploy', host)), host).toBe(true);
    }
  });
});

describe('deploy/.env.example and the README configuration table', () => {
  it('.env.example names every variable the services read, and only those (run `pnpm config-table` after a config change)', () => {
    const text = readFileSync(ENV_EXAMPLE, 'utf8');
    expect(text).toBe(envExample());
    expect(envFileNames(text).sort()).toEqual([...variables().map((v) => v.name), ...Object.keys(COMPOSE_ONLY)].sort());
  });

  it('the README table lists every variable with its default and whether it is required (run `pnpm config-table`)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readmeWithTable(readme)).toBe(readme);
    expect(readme).toContain(configTable());
    const required = variables()
      .filter((v) => v.required)
      .map((v) => v.name);
    expect(required.sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'PUBLIC_BASE_URL', 'SECRETS_KEY']);
  });
});
