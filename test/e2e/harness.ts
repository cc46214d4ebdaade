// Runs the fleet as production does (each service its own process, started by the same Supervisor as
// `pnpm start`) on a throwaway database, next to a strict RetailCRM fake on a loopback port.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { replayEvents, substituteToken, type ScenarioEvent } from '@fleet/cli';
import { fleetServices, type FleetPorts } from '../../packages/cli/src/fleet-services.ts';
import { Supervisor } from '../../packages/cli/src/supervisor.ts';
import { freePort } from '../support/net.ts';

export const FIXTURES = new URL('../../../shared/fixtures/asterisk-scenarios/', import.meta.url);
export const API_KEY = 'e2e-api-key-0123456789';

export interface Fleet {
  db: TestDatabase;
  sql: Sql;
  crm: RetailCrmFake;
  crmUrl: string;
  ports: FleetPorts;
  supervisor: Supervisor;
  logs: string[];
  intakeUrl: string;
  gatewayUrl: string;
  stop(): Promise<void>;
}

export async function startFleet(env: Record<string, string> = {}): Promise<Fleet> {
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 4 });
  const crm = createRetailCrmFake({ apiKeys: [{ key: API_KEY }] });
  const crmUrl = await crm.listen(0);
  const ports = { callIntake: await freePort(), gateway: await freePort(), retailcrm: await freePort() };
  const logs: string[] = [];
  const supervisor = new Supervisor({ onLine: (name, line) => logs.push(`${name} | ${line}`) });
  // Each fleet its own outage journal: the default (<FLEET_DATA_DIR>/journal/call-intake) is locked by
  // one process, so a second test run in the same checkout would fail to boot call-intake.
  const journal = mkdtempSync(join(tmpdir(), 'fleet-e2e-journal-'));
  for (const spec of fleetServices(db.url, ports, { LOG_LEVEL: 'info', JOURNAL_DIR: journal, ...env })) {
    try {
      await supervisor.start(spec, 60_000);
    } catch (err) {
      // The service's own last words say why it never became healthy (a test failing here shows nothing else).
      await supervisor.stopAll();
      await crm.close();
      await sql.end();
      await db.drop();
      rmSync(journal, { recursive: true, force: true });
      throw new Error(
        `${(err as Error).message}\n${logs
          .filter((l) => l.startsWith(`${spec.name} |`))
          .slice(-30)
          .join('\n')}`,
      );
    }
  }
  return {
    db,
    sql,
    crm,
    crmUrl,
    ports,
    supervisor,
    logs,
    intakeUrl: `http://127.0.0.1:${ports.callIntake}`,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    async stop() {
      await supervisor.stopAll();
      await crm.close();
      await sql.end();
      await db.drop();
      rmSync(journal, { recursive: true, force: true });
    },
  };
}

/** The recording link template of every test enterprise (retailcrm `record_url_template`). */
export const RECORD_URL_TEMPLATE = 'https://records.example.com/{enterprise}/{uniqueId}.mp3';

/** The link the history record of an answered call must carry, filled in independently of the services. */
export const recordUrlFor = (enterprise: string, callId: string): string =>
  `https://records.example.com/${encodeURIComponent(enterprise)}/${encodeURIComponent(callId)}.mp3`;

/**
 * An enterprise with RetailCRM connected to the fake, RetailCRM user 18 mapped to extension 151 and a
 * recording link template; its time zone Europe/Minsk unless `timezone` says otherwise.
 */
export async function addConnectedEnterprise(
  f: Fleet,
  number: string,
  token: string,
  opts: { timezone?: string } = {},
): Promise<void> {
  const config = {
    retailcrm: {
      enabled: true,
      domain: f.crmUrl,
      api_key: API_KEY,
      client_id: `client-${number}`,
      user_extensions: { '18': '151' },
      record_url_template: RECORD_URL_TEMPLATE,
    },
  };
  await f.sql`insert into enterprises (number, name, host_token, timezone, integrations_config)
              values (${number}, ${'E2E ' + number}, ${token}, ${opts.timezone ?? 'Europe/Minsk'}, ${f.sql.json(config)})`;
}

export interface ScenarioFile {
  code: string;
  file: string;
}

export function corpus(): ScenarioFile[] {
  return JSON.parse(readFileSync(new URL('_index.json', FIXTURES), 'utf8')) as ScenarioFile[];
}

export function loadEvents(code: string): ScenarioEvent[] {
  const entry = corpus().find((e) => e.code === code);
  if (!entry) throw new Error(`no scenario ${code}`);
  return JSON.parse(readFileSync(new URL(entry.file, FIXTURES), 'utf8')) as ScenarioEvent[];
}

/** Posts a scenario as its host would (speed 0: no gaps) and fails on any non-2xx answer. */
export async function replay(f: Fleet, events: ScenarioEvent[], token: string): Promise<void> {
  const results = await replayEvents(substituteToken(events, token), { intake: f.intakeUrl, speed: 0 });
  const bad = results.filter((r) => r.status !== 200);
  if (bad.length) throw new Error(`intake refused: ${JSON.stringify(bad.slice(0, 3))}`);
}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { freePort };

/** One call of a corpus scenario as the call model must see it (packages/call-model/test/expected-outcomes.json). */
export interface ExpectedCall {
  callId: string;
  kind: 'customer' | 'internal';
  direction: 'in' | 'out' | 'internal';
  phone: string;
  answered: boolean;
  answeredBy: string | null;
  result: string;
  ringing: string[];
  mobileLegs: string[];
  consultationLegs: string[];
}

/** Expected outcomes per scenario code, shared by the corpus e2e test and the fault suite. */
export const EXPECTED = JSON.parse(
  readFileSync(new URL('../../packages/call-model/test/expected-outcomes.json', import.meta.url), 'utf8'),
) as Record<string, { calls: ExpectedCall[] }>;
