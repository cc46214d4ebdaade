// The production build, end to end: `pnpm build`'s bundles (services/<name>/dist/server.mjs and the
// migration step) run under plain node, as deploy/systemd, deploy/docker-compose.yml and `pnpm start` run them, while every other
// test runs the TypeScript sources under tsx. De-risks what only a bundle can get wrong: an npm
// import a service's package.json does not declare (the build refuses it), a file found relative to
// a source file (sql/ migrations, retailcrm's public/), a module that only works under tsx.
// The bundles are built here, so a fresh clone needs no build step first.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { buildAll, SERVICE_DIRS } from '../../packages/cli/src/bundle.ts';
import { fleetServices, MIGRATE_ENTRY } from '../../packages/cli/src/fleet-services.ts';
import { BUNDLE_NODE_ARGS, REPO_ROOT, Supervisor } from '../../packages/cli/src/supervisor.ts';
import { freePort } from '../support/net.ts';
import { addConnectedEnterprise, API_KEY, loadEvents, replay, waitFor, type Fleet } from './harness.ts';

const TOKEN = '375291110077';
const CALL_2_1 = '1757772742.60';
let db: TestDatabase;
let sql: Sql;
let crm: RetailCrmFake;
let supervisor: Supervisor;
let fleet: Fleet;
const logs: string[] = [];

beforeAll(async () => {
  await buildAll();
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  crm = createRetailCrmFake({ apiKeys: [{ key: API_KEY }] });
  const crmUrl = await crm.listen(0);
  const ports = {
    callIntake: await freePort(),
    gateway: await freePort(),
    retailcrm: await freePort(),
    asterisk: await freePort(),
  };
  supervisor = new Supervisor({ onLine: (name, line) => logs.push(`${name} | ${line}`) });
  for (const spec of fleetServices(db.url, ports, { LOG_LEVEL: 'info' }, { bundled: true }))
    await supervisor.start(spec, 60_000);
  // The harness's helpers take a Fleet; only these fields are used by them.
  fleet = {
    db,
    sql,
    crm,
    crmUrl,
    ports,
    supervisor,
    logs,
    intakeUrl: `http://127.0.0.1:${ports.callIntake}`,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    stop: async () => {},
  };
}, 120_000);
afterAll(async () => {
  await supervisor?.stopAll();
  await crm?.close();
  await sql?.end();
  await db?.drop();
});
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') console.log(logs.slice(-80).join('\n'));
});

describe('the bundled fleet (pnpm build)', () => {
  it('runs every service from its bundle under plain node, with a source map that points at the TypeScript', () => {
    for (const dir of SERVICE_DIRS) {
      const name = dir === 'integration-gateway' ? 'gateway' : dir;
      const pid = supervisor.pid(name);
      expect(pid, name).toBeDefined();
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(argv.slice(1), name).toEqual([...BUNDLE_NODE_ARGS, `services/${dir}/dist/server.mjs`]);
      expect(argv.join(' '), name).not.toMatch(/tsx/);
      const map = JSON.parse(readFileSync(join(REPO_ROOT, `services/${dir}/dist/server.mjs.map`), 'utf8')) as {
        sources: string[];
      };
      expect(map.sources, dir).toContain('../src/server.ts');
    }
  });

  it('answers /ready on every service (migrations found, database reachable)', async () => {
    for (const [name, port] of Object.entries(fleet.ports)) {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(`${name} ${res.status}`).toBe(`${name} 200`);
    }
  });

  it('turns recorded call 2-1 into a popup at the RetailCRM fake', async () => {
    await addConnectedEnterprise(fleet, '377', TOKEN);
    await replay(fleet, loadEvents('2-1'), TOKEN);
    await waitFor('the popup of 2-1', () =>
      crm.state.events.some((e) => e.event.callExternalId === CALL_2_1 && e.event.type === 'in'),
    );
  });

  it('runs the migration step from its bundle: finds sql/, exits 0, and 78 without DATABASE_URL', () => {
    const migrate = (env: Record<string, string>) =>
      spawnSync(process.execPath, [...BUNDLE_NODE_ARGS, MIGRATE_ENTRY], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH!, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const ok = migrate({ DATABASE_URL: db.url });
    expect(`${ok.status} ${ok.stdout}${ok.stderr}`).toMatch(/^0 migrations: 0 applied, [1-9]\d* already applied/);
    const bad = migrate({});
    expect(`${bad.status} ${bad.stderr}`).toMatch(/^78 migrate: bad configuration: .*DATABASE_URL/);
  });

  it("serves retailcrm's admin page from public/ (found relative to the source tree)", async () => {
    const res = await fetch(`http://127.0.0.1:${fleet.ports.retailcrm}/retailcrm-admin/assets/admin.js`);
    expect(res.status).toBe(200);
  });
});
