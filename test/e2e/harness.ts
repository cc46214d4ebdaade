// Runs the fleet as production does (each service its own process, started by the same Supervisor as
// `pnpm start`) on a throwaway database, next to a strict RetailCRM fake on a loopback port.
import { readFileSync } from 'node:fs';
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
  for (const spec of fleetServices(db.url, ports, { LOG_LEVEL: 'info', ...env })) await supervisor.start(spec, 60_000);
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
    },
  };
}

/** An enterprise with RetailCRM connected to the fake and RetailCRM user 18 mapped to extension 151. */
export async function addConnectedEnterprise(f: Fleet, number: string, token: string): Promise<void> {
  const config = {
    retailcrm: {
      enabled: true,
      domain: f.crmUrl,
      api_key: API_KEY,
      client_id: `client-${number}`,
      user_extensions: { '18': '151' },
      record_url_template: 'https://records.example.com/{enterprise}/{uniqueId}.mp3',
    },
  };
  await f.sql`insert into enterprises (number, name, host_token, timezone, integrations_config)
              values (${number}, ${'E2E ' + number}, ${token}, 'Europe/Minsk', ${f.sql.json(config)})`;
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
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<number> {
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
