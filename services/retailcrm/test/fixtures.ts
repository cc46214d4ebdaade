// Arrange helpers: a throwaway database with one enterprise, the strict RetailCRM fake on a loopback
// port, and the service built through buildApp exactly like server.ts does.
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import type { CallSummary } from '@fleet/call-model';
import { createRetailCrmFake, type RetailCrmFake, type RetailCrmFakeOptions } from '@fleet/retailcrm-fake';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';

export const KEY = 'crm-key-5f4e3d2c1b0a99887766554433221100';
export const ENTERPRISE = '201';
/** 2024-03-01 07:00:05 UTC = 10:00:05 in Europe/Minsk (UTC+3). */
export const STARTED_AT = Date.UTC(2024, 2, 1, 7, 0, 5);

export interface World {
  db: TestDatabase;
  sql: Sql;
  fake: RetailCrmFake;
  baseUrl: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** `fake`: extra options of the RetailCRM fake (customers, responsible managers, scopes…). */
export async function createWorld(
  env: Record<string, string> = {},
  fake_: Partial<RetailCrmFakeOptions> = {},
): Promise<World> {
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 5 });
  const fake = createRetailCrmFake({
    apiKeys: [{ key: KEY }],
    users: [
      { id: 18, active: true },
      { id: 19, active: true },
    ],
    ...fake_,
  });
  const baseUrl = await fake.listen();
  await insertEnterprise(sql, ENTERPRISE, {
    enabled: true,
    domain: baseUrl,
    api_key: KEY,
    client_id: 'client-id-secret-1',
    user_extensions: { '18': '151', '19': '152' },
    record_url_template: 'https://rec.example/{enterprise}/{uniqueId}.mp3',
  });
  const config = loadRetailCrmConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    RETAILCRM_RETRY_MIN_MS: '10',
    RETAILCRM_TIMEOUT_MS: '1000',
    ...env,
  });
  const app = await buildApp({ sql, config, logger: false });
  return {
    db,
    sql,
    fake,
    baseUrl,
    app,
    async close() {
      await app.close();
      await fake.close();
      await sql.end();
      await db.drop();
    },
  };
}

export async function insertEnterprise(
  sql: Sql,
  number: string,
  retailcrm: Record<string, unknown> | null,
  timezone = 'Europe/Minsk',
) {
  const config = retailcrm ? { retailcrm } : {};
  await sql`
    insert into enterprises (number, name, host_token, timezone, integrations_config)
    values (${number}, ${'Shop ' + number}, ${'token-' + number}, ${timezone}, ${sql.json(config as Record<string, never>)})`;
}

/** An incoming customer call from +375440000001 as call-intake's model summarises it. */
export function call(over: Partial<CallSummary> = {}): CallSummary {
  return {
    callId: '1709276405.101',
    kind: 'customer',
    direction: 'in',
    phone: '+375440000001',
    trunk: '0001363',
    ringing: ['151', '152'],
    mobiles: [],
    status: 'ringing',
    answered: false,
    answeredBy: null,
    talkedWith: [],
    result: null,
    startedAt: STARTED_AT,
    answeredAt: null,
    endedAt: null,
    durationSec: null,
    waitSec: null,
    hostStartTime: '',
    hostEndTime: '',
    legs: ['1709276405.101'],
    mobileLegs: [],
    consultationLegs: [],
    originatedBy: null,
    closedByTimeout: false,
    ...over,
  };
}

export const answered = (over: Partial<CallSummary> = {}) =>
  call({
    status: 'ended',
    answered: true,
    answeredBy: '151',
    talkedWith: ['151'],
    result: 'answered',
    answeredAt: STARTED_AT + 7000,
    endedAt: STARTED_AT + 67_000,
    durationSec: 60,
    waitSec: 7,
    ...over,
  });

export const missed = (over: Partial<CallSummary> = {}) =>
  call({ status: 'ended', result: 'no answer', endedAt: STARTED_AT + 20_000, durationSec: 0, waitSec: 20, ...over });

export function dial(
  c: CallSummary,
  newExtensions: string[],
  dedupKey = 'dial:1',
  extra: Record<string, unknown> = {},
) {
  return {
    enterprise: ENTERPRISE,
    callId: c.callId,
    event_type: 'dial',
    dedup_key: dedupKey,
    call: c,
    new_extensions: newExtensions,
    record_url: null,
    origin: 'live',
    ...extra,
  };
}

export function hangup(c: CallSummary, extra: Record<string, unknown> = {}) {
  return {
    enterprise: ENTERPRISE,
    callId: c.callId,
    event_type: 'hangup',
    dedup_key: 'hangup',
    call: c,
    new_extensions: [],
    record_url: null,
    origin: 'live',
    ...extra,
  };
}

export function post(app: FastifyInstance, payload: unknown, remoteAddress = '127.0.0.1') {
  return app.inject({
    method: 'POST',
    url: '/internal/retailcrm/call-event',
    payload: payload as object,
    remoteAddress,
  });
}

/** Records the call's dial as performed (its popup opened), so a hangup posted alone gets no synthetic dial. */
export async function markDialed(w: World, callId = call().callId, enterprise = ENTERPRISE): Promise<void> {
  await w.sql`insert into retailcrm_call_steps (enterprise, call_id, step, status) values (${enterprise}, ${callId}, 'event:dial:dial:1', 'done')`;
}
