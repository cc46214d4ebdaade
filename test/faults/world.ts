// The fault suite's world: a real PostgreSQL of its own (embedded, own data dir and port, so it can be
// restarted without touching anyone else's tests), the strict RetailCRM and Telegram fakes with their
// taps, and the fleet as processes under the same Supervisor as `pnpm start`, with kill()/revive().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSql, migrate, startEmbeddedPostgres, testDataDir, type EmbeddedServer, type Sql } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { createTelegramFake, type FakeLimits, type TelegramFake } from '@fleet/telegram-fake';
import { fleetServices } from '../../packages/cli/src/fleet-services.ts';
import { Supervisor } from '../../packages/cli/src/supervisor.ts';
import { freePort } from '../e2e/harness.ts';
import type { Rng } from '../support/rng.ts';
import { tap429, tapCrm, type CrmTap, type TelegramTap } from './taps.ts';

export const API_KEY = 'faults-api-key-0123456789';
/** The Bot API limits of the fake and the fleet's limiter (scaled up from Telegram's, as in telegram-burst.test.ts). */
export const TG_LIMITS: FakeLimits = { botPerSecond: 50, privatePerSecond: 20, privateBurst: 3, groupPerMinute: 20 };
export const botToken = (i: number) => `${9100 + i}:FAULTS-token-${i}`;

export interface Pg {
  url: string;
  port: number;
  /** Fast shutdown, `downMs` without a server, then the same cluster again on the same port. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A PostgreSQL server under our control (not the vitest global one): `restart` is the fault. */
export async function startPg(): Promise<Pg> {
  const dataDir = testDataDir(`faults-pg-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const port = await freePort();
  let server: EmbeddedServer = await startEmbeddedPostgres({ dataDir, port });
  const sql = createSql(server.url, { max: 1 });
  await migrate(sql);
  await sql.end();
  return {
    url: server.url,
    port,
    async restart(downMs) {
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs));
      server = await startEmbeddedPostgres({ dataDir, port });
    },
    async stop() {
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
    },
  };
}

export interface Node {
  /** Suffix of the node's service names in the Supervisor ('' for a single node). */
  suffix: string;
  intakeUrl: string;
  gatewayUrl: string;
  retailcrmUrl: string;
}

export interface World {
  pg: Pg;
  sql: Sql;
  crm: RetailCrmFake;
  crmUrl: string;
  crmTap: CrmTap;
  tg: TelegramFake;
  tgTap: TelegramTap;
  supervisor: Supervisor;
  nodes: Node[];
  logs: string[];
  stop(): Promise<void>;
}

export interface WorldOptions {
  rng: Rng;
  /** Share of Telegram chat requests answered 429. */
  telegram429Ratio: number;
  bots: number;
  /** Fleet nodes (each: call-intake + gateway + retailcrm, own ports, one database). */
  nodes?: number;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** Per node environment (e.g. halved rate limits). */
  nodeEnv?: (i: number) => Record<string, string>;
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const pg = await startPg();
  const sql = createSql(pg.url, { max: 4 });
  // RetailCRM's own limit per key (telephony 40/s): every enterprise here shares one key, as one account would.
  const crm = createRetailCrmFake({ apiKeys: [{ key: API_KEY }] });
  const crmTap = tapCrm(crm);
  const crmUrl = await crm.listen(0);
  const tg = createTelegramFake({
    bots: Array.from({ length: o.bots }, (_, i) => ({ token: botToken(i), username: `faults_bot_${i}` })),
    limits: TG_LIMITS,
  });
  const tgTap = tap429(tg, o.rng.fork(), o.telegram429Ratio);
  const tgRoot = await tg.listen(0);
  const journals = mkdtempSync(join(tmpdir(), 'fleet-faults-journal-'));
  const logs: string[] = [];
  // restart: a service that dies by itself comes back, as under `pnpm start` and systemd (Restart=);
  // the suite's own kill() stays down until revive(). Such crashes are counted in the report.
  const supervisor = new Supervisor({ restart: true, onLine: (name, line) => logs.push(`${name} | ${line}`) });
  const nodes: Node[] = [];
  const count = o.nodes ?? 1;
  for (let i = 0; i < count; i++) {
    const suffix = count === 1 ? '' : `-${i + 1}`;
    const ports = { callIntake: await freePort(), gateway: await freePort(), retailcrm: await freePort() };
    const env = {
      LOG_LEVEL: 'info',
      TELEGRAM_API_ROOT: tgRoot,
      TELEGRAM_MODE: 'webhook',
      TELEGRAM_BOT_PER_SECOND: String(TG_LIMITS.botPerSecond),
      TELEGRAM_PRIVATE_PER_SECOND: String(TG_LIMITS.privatePerSecond),
      TELEGRAM_PRIVATE_BURST: String(TG_LIMITS.privateBurst),
      TELEGRAM_GROUP_PER_MINUTE: String(TG_LIMITS.groupPerMinute),
      TELEGRAM_TIMEOUT_MS: '3000',
      TELEGRAM_POLL_MS: '500',
      JOURNAL_DIR: join(journals, `call-intake${suffix}`),
      ...o.env,
      ...o.nodeEnv?.(i),
    };
    for (const spec of fleetServices(pg.url, ports, env))
      await supervisor.start({ ...spec, name: spec.name + suffix }, 90_000);
    nodes.push({
      suffix,
      intakeUrl: `http://127.0.0.1:${ports.callIntake}`,
      gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
      retailcrmUrl: `http://127.0.0.1:${ports.retailcrm}`,
    });
  }
  return {
    pg,
    sql,
    crm,
    crmUrl,
    crmTap,
    tg,
    tgTap,
    supervisor,
    nodes,
    logs,
    async stop() {
      await supervisor.stopAll();
      await crm.close();
      await tg.close();
      await sql.end({ timeout: 1 });
      await pg.stop();
      rmSync(journals, { recursive: true, force: true });
    },
  };
}

/**
 * An enterprise (a host) with RetailCRM connected to the fake (user 18 ↔ extension 151), and a bot with
 * `chats` private recipient chats.
 */
export async function addEnterprise(
  w: World,
  e: { number: string; token: string; bot: number; chats: number[] },
): Promise<void> {
  const config = {
    retailcrm: {
      enabled: true,
      domain: w.crmUrl,
      api_key: API_KEY,
      client_id: `client-${e.number}`,
      user_extensions: { '18': '151' },
      record_url_template: 'https://records.example.com/{enterprise}/{uniqueId}.mp3',
      // Issue 14 under the same faults: every missed customer call is on exactly one task.
      missed_call_tasks: { enabled: true, fallback_user_id: 18, due_minutes: 15 },
    },
  };
  await w.sql`insert into enterprises (number, name, host_token, timezone, integrations_config)
              values (${e.number}, ${'Faults ' + e.number}, ${e.token}, 'Europe/Minsk', ${w.sql.json(config)})`;
  const token = botToken(e.bot);
  const botId = token.split(':')[0]!;
  await w.sql`insert into telegram_bots (enterprise, bot_id, username, token, webhook_secret, mode)
              values (${e.number}, ${botId}, ${'faults_bot_' + e.bot}, ${token}, ${'secret-' + botId + '-faults-aaaa'}, 'webhook')`;
  for (const [i, chat] of e.chats.entries()) {
    await w.sql`insert into telegram_recipients (enterprise, chat_id, user_id, kind, extension)
                values (${e.number}, ${chat}, ${chat}, ${i === 0 ? 'owner' : 'manager'}, ${i === 1 ? '151' : null})`;
  }
}
