// Test fixtures: a stand-in RetailCRM service on a loopback port, enterprises, call summaries, and an
// app built through the same buildApp as production.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { CallSummary } from '@fleet/call-model';
import type { Sql } from '@fleet/db';
import { buildApp, type BuildAppOptions } from '../src/app.ts';
import { loadGatewayConfig } from '../src/config.ts';
import type { CallEventBody } from '@fleet/call-event';

/** What the fake answers: a status code, 'hang' (never answers) or 'reset' (drops the socket). */
export type Behaviour =
  | number
  | 'hang'
  | 'reset'
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

export interface FakeCrm {
  url: string;
  /** Every request body, in arrival order. */
  received: CallEventBody[];
  /** Decides the answer per request (default 200). */
  behave(fn: (body: CallEventBody, n: number) => Behaviour): void;
  close(): Promise<void>;
}

/** Starts the stand-in RetailCRM service on 127.0.0.1 (random port). */
export async function startFakeCrm(): Promise<FakeCrm> {
  const received: CallEventBody[] = [];
  let decide: (body: CallEventBody, n: number) => Behaviour = () => 200;
  const hanging = new Set<ServerResponse>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text) as CallEventBody;
    const b = decide(body, received.length);
    received.push(body);
    if (b === 'hang') return void hanging.add(res);
    if (b === 'reset') return void req.socket.destroy();
    const r = typeof b === 'number' ? { status: b } : b;
    if ('delayMs' in r && r.delayMs) await new Promise((ok) => setTimeout(ok, r.delayMs));
    res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
    res.end(r.body ?? JSON.stringify({ ok: r.status < 300 }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    behave: (fn) => void (decide = fn),
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** Gateway config for tests: a short forward deadline, silent logs; `env` overrides. */
export function testConfig(databaseUrl: string, crmUrl: string, env: Record<string, string> = {}) {
  return loadGatewayConfig({
    DATABASE_URL: databaseUrl,
    RETAILCRM_URL: crmUrl,
    LOG_LEVEL: 'silent',
    FORWARD_TIMEOUT_MS: '500',
    BREAKER_VOLUME: '1000',
    ...env,
  });
}

/** Builds and readies an app (LISTEN running unless turned off). */
export async function startApp(
  sql: Sql,
  databaseUrl: string,
  crmUrl: string,
  opts: { env?: Record<string, string> } & Partial<BuildAppOptions> = {},
): Promise<FastifyInstance> {
  const { env, ...rest } = opts;
  const app = await buildApp({ config: testConfig(databaseUrl, crmUrl, env), sql, logger: false, ...rest });
  await app.ready();
  return app;
}

/** Inserts an enterprise; `retailcrm` switches the integration on with a domain and key. */
export async function seedEnterprise(sql: Sql, number: string, opts: { retailcrm?: boolean; token?: string } = {}) {
  const config =
    opts.retailcrm === false
      ? {}
      : { retailcrm: { enabled: true, domain: 'shop.retailcrm.ru', api_key: 'k-' + number } };
  await sql`
    insert into enterprises (number, name, host_token, integrations_config)
    values (${number}, ${'Enterprise ' + number}, ${opts.token ?? 'token-' + number}, ${sql.json(config)})`;
}

/** A customer call as call-intake summarises it. */
export function callSummary(callId: string, over: Partial<CallSummary> = {}): CallSummary {
  return {
    callId,
    kind: 'customer',
    direction: 'in',
    phone: '+375291234567',
    trunk: '0001363',
    ringing: ['151', '152'],
    mobiles: [],
    status: 'ringing',
    answered: false,
    answeredBy: null,
    talkedWith: [],
    result: null,
    startedAt: 1_700_000_000_000,
    answeredAt: null,
    endedAt: null,
    durationSec: null,
    waitSec: null,
    hostStartTime: '',
    hostEndTime: '',
    legs: [callId],
    mobileLegs: [],
    consultationLegs: [],
    originatedBy: null,
    closedByTimeout: false,
    ...over,
  };
}

/** A dispatch body as call-intake sends it (@fleet/call-event). */
export function dispatchBody(
  enterprise: string,
  callId: string,
  eventType: 'dial' | 'hangup',
  dedupKey: string,
  over: Record<string, unknown> = {},
) {
  const ended = eventType === 'hangup';
  return {
    enterprise,
    callId,
    event_type: eventType,
    dedup_key: dedupKey,
    origin: 'live',
    record_url: null,
    new_extensions: ended ? [] : ['151'],
    call: callSummary(
      callId,
      ended ? { status: 'ended', result: 'no answer', endedAt: 1_700_000_030_000, durationSec: 0 } : {},
    ),
    ...over,
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, stepMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
