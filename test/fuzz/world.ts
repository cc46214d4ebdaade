// The whole fleet in one process for the fuzz and security suites: a throwaway database, every service
// built through its own buildApp (as server.ts does, loggers at info with the fleet's redaction, their
// lines captured), the strict RetailCRM and Telegram fakes on loopback ports, and enterprises whose
// secrets are recognisable unique values, so that a scan of logs, pages and messages finds any leak.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { logOptions } from '@fleet/log';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { createTelegramFake, type TelegramFake } from '@fleet/telegram-fake';
import { encryptSecret } from '../../packages/secrets/src/index.ts';
import { buildApp as buildIntake } from '../../services/call-intake/src/app.ts';
import { buildApp as buildGateway, loadGatewayConfig } from '../../services/integration-gateway/src/index.ts';
import { buildApp as buildRetailCrm, loadRetailCrmConfig } from '../../services/retailcrm/src/index.ts';
import { buildApp as buildAsterisk, loadAsteriskConfig } from '../../services/asterisk/src/index.ts';

/** A built service (Fastify instance); typed through buildApp, as fastify is not a root dependency. */
export type App = Awaited<ReturnType<typeof buildIntake>>;

/** The secrets of one enterprise. Each carries a marker no legitimate output contains. */
export interface EnterpriseSecrets {
  number: string;
  hostToken: string;
  apiKey: string;
  clientId: string;
  /** originate_secret: hex, as the asterisk service requires. */
  originateSecret: string;
  botToken: string;
  botId: string;
  webhookSecret: string;
}

const tag = () => randomBytes(6).toString('hex');

export function enterpriseSecrets(number: string, botId: string): EnterpriseSecrets {
  return {
    number,
    hostToken: `HOSTTOKEN-LEAK-${number}-${tag()}`,
    apiKey: `APIKEY-LEAK-${number}-${tag()}`,
    clientId: `CLIENTID-LEAK-${number}-${tag()}`,
    originateSecret: `feedface${number}0${tag()}${tag()}`.replace(/[^0-9a-f]/g, 'a'),
    botToken: `${botId}:BOTTOKEN-LEAK-${number}-${tag()}`,
    botId,
    webhookSecret: `WHSECRET-LEAK-${number}-${tag()}`,
  };
}

/** Collects every log line of the in-process services; `lines` may be turned off for long runs. */
export class LogSink {
  lines: string[] = [];
  count = 0;
  keep = true;
  /** Lines that contained a watched secret (kept even when `keep` is off). */
  leaks: Array<{ secret: string; line: string }> = [];
  private watched: string[] = [];

  watch(...secrets: string[]): void {
    this.watched.push(...secrets.filter((s) => s.length >= 8));
  }

  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line) continue;
          this.count++;
          if (this.keep) this.lines.push(line);
          for (const s of this.watched) if (line.includes(s)) this.leaks.push({ secret: s, line: line.slice(0, 400) });
        }
        done();
      },
    });
  }
}

export interface World {
  db: TestDatabase;
  sql: Sql;
  intake: App;
  gateway: App;
  retailcrm: App;
  asterisk: App;
  crm: RetailCrmFake;
  crmUrl: string;
  telegram: TelegramFake;
  telegramRoot: string;
  logs: LogSink;
  /** e1 active (CRM, bot, Asterisk host), e2 active without an Asterisk host (make-call stops at 422), e3 inactive. */
  e1: EnterpriseSecrets;
  e2: EnterpriseSecrets;
  e3: EnterpriseSecrets;
  jwtSecret: string;
  secretsKey: Buffer;
  /** Every seeded secret value (for scans). */
  secrets(): string[];
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Run call-intake's processor, dispatcher and Telegram card worker (off for the fuzz). */
  workers?: boolean;
  gatewayUrl?: string;
}

async function addEnterprise(
  sql: Sql,
  s: EnterpriseSecrets,
  o: { active: boolean; crmUrl: string; secretsKey: Buffer; host: boolean },
) {
  const retailcrm = {
    enabled: true,
    domain: o.crmUrl,
    api_key: encryptSecret(o.secretsKey, s.apiKey, s.number),
    client_id: s.clientId,
    user_extensions: { '18': '151', '19': '152' },
  };
  await sql`insert into enterprises (number, name, host_token, active, integrations_config)
            values (${s.number}, ${'Shop ' + s.number}, ${s.hostToken}, ${o.active}, ${sql.json(retailcrm ? { retailcrm } : {})})`;
  // The operator's extension directory: the admin page gives managers these extensions only.
  await sql`insert into extension_directory (enterprise, extension, name)
            select ${s.number}, e::text, 'Сотрудник ' || e from generate_series(151, 159) as e`;
  await sql`insert into telegram_bots (enterprise, bot_id, username, token, webhook_secret, mode)
            values (${s.number}, ${s.botId}, ${'bot' + s.botId}, ${s.botToken}, ${s.webhookSecret}, 'webhook')`;
  // A host nobody listens on: a request that got this far would fail at SSH connect (never sent by the fuzz).
  if (o.host)
    await sql`insert into asterisk_hosts (enterprise, host, port, username, key_file, host_key, asterisk_path, set_nextcall, originate_secret)
            values (${s.number}, '127.0.0.1', 1, 'root', '/nonexistent/id_ed25519', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake',
                    'asterisk', false, ${s.originateSecret})`;
}

export async function createWorld(opts: WorldOptions = {}): Promise<World> {
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 10 });
  const logs = new LogSink();
  const jwtSecret = `JWTSECRET-LEAK-${tag()}${tag()}${tag()}`;
  const secretsKey = randomBytes(32);
  const e1 = enterpriseSecrets('401', '740100001');
  const e2 = enterpriseSecrets('402', '740200002');
  const e3 = enterpriseSecrets('403', '740300003');
  const crm = createRetailCrmFake({
    apiKeys: [{ key: e1.apiKey }, { key: e2.apiKey }],
    users: [
      { id: 18, active: true },
      { id: 19, active: true },
    ],
  });
  const crmUrl = await crm.listen();
  const telegram = createTelegramFake({
    bots: [e1, e2, e3].map((e) => ({ token: e.botToken, username: 'bot' + e.botId })),
    limits: { botPerSecond: 1000, privatePerSecond: 1000, privateBurst: 50, groupPerMinute: 100_000 },
  });
  const telegramRoot = await telegram.listen();
  await addEnterprise(sql, e1, { active: true, crmUrl, secretsKey, host: true });
  await addEnterprise(sql, e2, { active: true, crmUrl, secretsKey, host: false });
  await addEnterprise(sql, e3, { active: false, crmUrl, secretsKey, host: true });

  const logger = (name: string) => ({ ...logOptions({ name, level: 'info' }), stream: logs.stream() });
  const common = { DATABASE_URL: db.url, LOG_LEVEL: 'info' };
  const workers = opts.workers ?? false;
  const intake = await buildIntake({
    sql,
    config: {
      GATEWAY_URL: opts.gatewayUrl ?? 'http://127.0.0.1:9',
      BODY_LIMIT_BYTES: 64 * 1024,
      GROUP_COMMIT_WINDOW_MS: 2,
      GROUP_COMMIT_MAX_BATCH: 500,
      PROCESSOR_POLL_MS: 200,
      DISPATCH_POLL_MS: 100,
      DISPATCH_TIMEOUT_MS: 1000,
      WORKERS: workers,
      TELEGRAM_API_ROOT: telegramRoot,
      TELEGRAM_MODE: 'webhook',
      TELEGRAM_BOT_PER_SECOND: 1000,
      TELEGRAM_PRIVATE_PER_SECOND: 1000,
      TELEGRAM_PRIVATE_BURST: 50,
      TELEGRAM_GROUP_PER_MINUTE: 100_000,
      TELEGRAM_GREETING_DELAY_MS: 0,
      TELEGRAM_TIMEOUT_MS: 2000,
      TELEGRAM_POLL_MS: 100,
    },
    logger: logger('call-intake'),
    model: { settleMs: 0, closeWithoutHangupMs: 0 },
  });
  // The gateway forwards a valid dispatch at once and answers with the integration's outcome: a stand-in
  // integration that accepts everything keeps those answers 2xx (an unreachable one would be a 503).
  const integration = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","steps":[]}'));
  });
  await new Promise<void>((ok) => integration.listen(0, '127.0.0.1', ok));
  const integrationUrl = `http://127.0.0.1:${(integration.address() as AddressInfo).port}`;
  const gateway = await buildGateway({
    sql,
    config: loadGatewayConfig({ ...common, RETAILCRM_URL: integrationUrl }),
    logger: logger('integration-gateway'),
    cacheBackground: false,
  });
  const retailcrm = await buildRetailCrm({
    sql,
    config: loadRetailCrmConfig({
      ...common,
      NODE_ENV: 'test',
      JWT_SECRET: jwtSecret,
      SECRETS_KEY: secretsKey.toString('hex'),
      ASTERISK_URL: 'http://127.0.0.1:9',
      RETAILCRM_TIMEOUT_MS: '1000',
      RETAILCRM_RETRY_MIN_MS: '10',
      CUSTOMER_DATA_DEADLINE_MS: '300',
      ADMIN_AUTH_RATE_PER_MINUTE: '100000',
    }),
    logger: logger('retailcrm'),
  });
  const asterisk = await buildAsterisk({
    sql,
    config: loadAsteriskConfig({ ...common, ASTERISK_CONNECT_TIMEOUT_MS: '500', ASTERISK_COMMAND_TIMEOUT_MS: '500' }),
    logger: logger('asterisk'),
  });
  await Promise.all([intake.ready(), gateway.ready(), retailcrm.ready(), asterisk.ready()]);
  const all = [e1, e2, e3];
  logs.watch(
    jwtSecret,
    secretsKey.toString('hex'),
    ...all.flatMap((e) => [e.hostToken, e.apiKey, e.clientId, e.originateSecret, e.botToken, e.webhookSecret]),
  );
  return {
    db,
    sql,
    intake,
    gateway,
    retailcrm,
    asterisk,
    crm,
    crmUrl,
    telegram,
    telegramRoot,
    logs,
    e1,
    e2,
    e3,
    jwtSecret,
    secretsKey,
    secrets: () => [
      jwtSecret,
      secretsKey.toString('hex'),
      secretsKey.toString('base64'),
      ...all.flatMap((e) => [e.hostToken, e.apiKey, e.clientId, e.originateSecret, e.botToken, e.webhookSecret]),
    ],
    async close() {
      await Promise.allSettled([intake.close(), gateway.close(), retailcrm.close(), asterisk.close()]);
      integration.closeAllConnections();
      await new Promise<void>((ok) => integration.close(() => ok()));
      await crm.close();
      await telegram.close();
      await sql.end();
      await db.drop();
    },
  };
}
