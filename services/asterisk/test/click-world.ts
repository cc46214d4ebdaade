// The click-to-call chain as it runs in production, each part on its own loopback port: the strict
// RetailCRM fake (with our module registered: makeCallUrl, clientId, additionalCodes) → the retailcrm
// service → the asterisk service → a real sshd with the asterisk stand-in. Used by the end-to-end
// test and by the latency benchmark (bench-click.ts).
import { createSql, type Sql } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake, type RetailCrmFakeOptions } from '@fleet/retailcrm-fake';
import type { FastifyInstance } from 'fastify';
import { buildApp as buildRetailCrm, loadRetailCrmConfig } from '../../retailcrm/src/index.ts';
import { buildApp as buildAsterisk, loadAsteriskConfig } from '../src/index.ts';
import { hostRow, insertHost, SECRET } from './fixtures.ts';
import type { TestHost } from '../../../test/support/sshd.ts';

export const CRM_KEY = 'crm-key-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const CLIENT_ID = 'c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6';
export const MODULE = 'fleet-telephony';

export interface ClickWorld {
  sql: Sql;
  fake: RetailCrmFake;
  asterisk: FastifyInstance;
  retailcrm: FastifyInstance;
  retailcrmUrl: string;
  close(): Promise<void>;
}

export interface ClickWorldOptions {
  enterprise?: string;
  /** What the RetailCRM fake knows about phones (customers' names). */
  fake?: Pick<RetailCrmFakeOptions, 'managerByPhone' | 'customerByPhone'>;
  asteriskEnv?: Record<string, string>;
  retailcrmEnv?: Record<string, string>;
}

export async function createClickWorld(
  databaseUrl: string,
  host: TestHost,
  o: ClickWorldOptions = {},
): Promise<ClickWorld> {
  const enterprise = o.enterprise ?? '367';
  const sql = createSql(databaseUrl, { max: 10 });
  const fake = createRetailCrmFake({
    apiKeys: [{ key: CRM_KEY }],
    users: [
      { id: 18, active: true },
      { id: 19, active: true },
    ],
    ...o.fake,
  });
  const crmUrl = await fake.listen();
  const rc = {
    enabled: true,
    domain: crmUrl,
    api_key: CRM_KEY,
    client_id: CLIENT_ID,
    user_extensions: { '18': '151', '19': '152' },
  };
  await sql`insert into enterprises (number, name, host_token, phone_region, integrations_config)
            values (${enterprise}, 'Acme', ${'host-token-' + enterprise}, 'BY', ${sql.json({ retailcrm: rc })})`;
  await insertHost(sql, enterprise, SECRET, hostRow(host));

  const asterisk = await buildAsterisk({
    sql,
    logger: false,
    config: loadAsteriskConfig({
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      ASTERISK_CONFIRM_LATER_MS: '1000',
      ASTERISK_CONFIRM_POLL_MS: '200',
      ...o.asteriskEnv,
    }),
  });
  const asteriskUrl = await asterisk.listen({ port: 0, host: '127.0.0.1' });
  const retailcrm = await buildRetailCrm({
    sql,
    logger: false,
    config: loadRetailCrmConfig({
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      ASTERISK_URL: asteriskUrl,
      ...o.retailcrmEnv,
    }),
  });
  const retailcrmUrl = await retailcrm.listen({ port: 0, host: '127.0.0.1' });
  // What `fleet retailcrm register` puts at RetailCRM: the callbacks and the manager ↔ extension codes.
  fake.state.modules[MODULE] = {
    code: MODULE,
    clientId: CLIENT_ID,
    active: true,
    baseUrl: retailcrmUrl,
    integrations: {
      telephony: {
        makeCallUrl: `${retailcrmUrl}/retailcrm/make-call`,
        changeUserStatusUrl: `${retailcrmUrl}/retailcrm/status`,
        additionalCodes: [
          { userId: 18, code: '151' },
          { userId: 19, code: '152' },
        ],
      },
    },
  };
  return {
    sql,
    fake,
    asterisk,
    retailcrm,
    retailcrmUrl,
    async close() {
      await retailcrm.close();
      await asterisk.close();
      await fake.close();
      await sql.end();
    },
  };
}
