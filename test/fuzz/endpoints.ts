// The public endpoints under fuzz: for each, the app that serves it, a valid request to start from, and
// how many generated requests it gets. Valid shapes follow the contracts (shared/domain/*.md, the
// services' route files); secrets are the world's live ones so requests get past authentication.
import { readFileSync } from 'node:fs';
import { HOST_EVENT_TYPES } from '@fleet/asterisk-events';
import { checkExtension, checkPhone } from '@fleet/asterisk-host';
import type { Rng } from './prng.ts';
import { paramsOf, type EndpointSpec, type FuzzRequest } from './requests.ts';
import type { App, World } from './world.ts';

export interface Target {
  spec: EndpointSpec;
  app: App;
  count: number;
  /** A request the generator must not send (it would leave the machine: SSH, a DELETE of the session). */
  skip?(req: FuzzRequest): boolean;
  /** Requests in flight at once (default 8). */
  lanes?: number;
  /** Runs after each answer (before the next request of this target when lanes = 1). */
  after?(req: FuzzRequest, status: number): Promise<void>;
}

const FIXTURES = new URL('../../../shared/fixtures/asterisk-scenarios/', import.meta.url);

function hostBodies(): Array<{ event: string; body: Record<string, unknown> }> {
  const index = JSON.parse(readFileSync(new URL('_index.json', FIXTURES), 'utf8')) as { file: string }[];
  return index.slice(0, 12).flatMap(
    (e) =>
      JSON.parse(readFileSync(new URL(e.file, FIXTURES), 'utf8')) as Array<{
        event: string;
        body: Record<string, unknown>;
      }>,
  );
}

const callSummary = (id: string) => ({
  callId: id,
  kind: 'customer',
  direction: 'in',
  phone: '+375291234567',
  trunk: '0001363',
  ringing: ['151'],
  status: 'ringing',
  mobiles: [],
  answered: false,
  answeredBy: null,
  talkedWith: [],
  result: null,
  startedAt: 1_709_276_405_000,
});

/** The endpoints in the order they are fuzzed (one test each). */
export const ENDPOINTS = [
  'call-intake POST /<event>',
  'gateway POST /dispatch/call-event',
  'retailcrm GET|POST /retailcrm/make-call',
  'retailcrm GET|POST /retailcrm/status',
  'asterisk GET|POST /api/makecallexternal',
  'retailcrm POST /api/callevent/getcustomerdata',
  'retailcrm /retailcrm-admin/api/*',
  'retailcrm GET|POST /retailcrm-admin/auth',
  'call-intake POST /telegram/webhook/:botId',
] as const;

export interface AdminAuth {
  cookie: string;
  csrf: string;
  linkToken: string;
}

export function targets(w: World, admin: AdminAuth, scale = 1): Target[] {
  const bodies = hostBodies();
  const n = (x: number) => Math.max(50, Math.round(x * scale));
  const uid = (rng: Rng) => `${1_700_000_000 + rng.int(0, 99_999)}.${rng.int(1, 999)}`;
  return [
    {
      app: w.intake,
      count: n(2400),
      spec: {
        name: 'call-intake POST /<event>',
        methods: ['POST'],
        path: (rng) => `/${rng.pick(HOST_EVENT_TYPES)}`,
        valid: (rng) => ({
          ...rng.pick(bodies).body,
          UniqueId: uid(rng),
          ...(rng.chance(0.8) ? { Token: w.e1.hostToken } : {}),
        }),
        carrier: 'json',
        headers: (rng): Record<string, string> => (rng.chance(0.3) ? { token: `"${w.e1.hostToken}"` } : {}),
        bodyLimit: 64 * 1024,
        digitFields: ['Phone', 'CallType', 'Trunk', 'UniqueId'],
      },
    },
    {
      app: w.gateway,
      count: n(1200),
      spec: {
        name: 'gateway POST /dispatch/call-event',
        methods: ['POST'],
        path: () => '/dispatch/call-event',
        valid: (rng) => {
          const id = uid(rng);
          return {
            enterprise: w.e1.number,
            callId: id,
            event_type: rng.pick(['dial', 'hangup']),
            dedup_key: `dial:${rng.int(1, 9)}`,
            record_url: null,
            origin: 'live',
            new_extensions: ['151'],
            call: callSummary(id),
          };
        },
        carrier: 'json',
        headers: () => ({}),
        bodyLimit: 256 * 1024,
        digitFields: ['enterprise', 'callId'],
      },
    },
    {
      app: w.retailcrm,
      count: n(1200),
      spec: {
        name: 'retailcrm GET|POST /retailcrm/make-call',
        methods: ['GET', 'POST'],
        path: () => '/retailcrm/make-call',
        // e2 has no Asterisk host: a request valid by chance ends at 422, not at a call the machine cannot place.
        valid: (rng) => ({
          clientId: rng.chance(0.9) ? w.e2.clientId : w.e3.clientId,
          code: '151',
          phone: '+375291234567',
          userId: rng.pick(['18', '19', '77']),
        }),
        carrier: 'form',
        headers: () => ({}),
        bodyLimit: 256 * 1024,
        digitFields: ['code', 'phone', 'userId'],
      },
    },
    {
      app: w.retailcrm,
      count: n(500),
      spec: {
        name: 'retailcrm GET|POST /retailcrm/status',
        methods: ['GET', 'POST'],
        path: () => '/retailcrm/status',
        valid: (rng) => ({
          clientId: w.e1.clientId,
          userId: '18',
          status: rng.pick(['free', 'busy', 'dinner', 'break']),
          code: '151',
        }),
        carrier: 'form',
        headers: () => ({}),
        bodyLimit: 256 * 1024,
        digitFields: ['userId', 'code'],
      },
    },
    {
      app: w.asterisk,
      count: n(1200),
      spec: {
        name: 'asterisk GET|POST /api/makecallexternal',
        methods: ['GET', 'POST'],
        path: () => '/api/makecallexternal',
        valid: (rng) => ({
          clientId: rng.chance(0.5) ? w.e3.originateSecret : w.e1.originateSecret,
          code: '151',
          phone: '375291234567',
          requestedBy: rng.pick(['api', 'crm:18', 'telegram:5550001']),
          correlationId: `fuzz-${rng.int(1e6, 9e6)}`,
          wait: '0',
        }),
        carrier: 'form',
        headers: () => ({}),
        bodyLimit: 16 * 1024,
        digitFields: ['code', 'phone'],
      },
      // A request that would pass every check with the active enterprise's secret would open SSH to
      // a host that is not there (a 502 for a valid request, not bad input): never sent.
      skip: (req) => {
        const raw = typeof req.payload === 'string' ? req.payload : (req.payload?.toString('latin1') ?? '');
        if (!req.url.includes(w.e1.originateSecret) && !raw.includes(w.e1.originateSecret)) return false;
        if (Buffer.isBuffer(req.payload) || !['GET', 'POST'].includes(req.method)) return true;
        const p = paramsOf(req);
        return checkExtension(p.code).ok && checkPhone(p.phone, 'BY').ok;
      },
    },
    {
      app: w.retailcrm,
      count: n(1200),
      spec: {
        name: 'retailcrm POST /api/callevent/getcustomerdata',
        methods: ['POST'],
        path: () => '/api/callevent/getcustomerdata',
        valid: (rng) => ({
          Phone: rng.pick(['375291234567', '+375 29 123-45-67', '80291234567']),
          UniqueId: uid(rng),
          TrunkId: '0001363',
          LoadDialPlan: rng.pick(['1', 1, true, '0']),
        }),
        carrier: 'json',
        headers: (rng): Record<string, string> => (rng.chance(0.85) ? { token: w.e1.hostToken } : {}),
        bodyLimit: 256 * 1024,
        digitFields: ['Phone', 'TrunkId'],
      },
    },
    {
      app: w.retailcrm,
      count: n(1600),
      spec: {
        name: 'retailcrm /retailcrm-admin/api/*',
        methods: ['GET', 'POST', 'PUT', 'DELETE'],
        path: (rng) =>
          `/retailcrm-admin/api${rng.pick(['/state', '/connection/check', '/connection', '/managers', '/journal', '/journal?page=2&status=ok&from=2024-01-01&to=2024-12-31&phone=375', '/nope'])}`,
        valid: (rng) => ({
          // The fake, or invalid: a CRM that is down is a 502 by design (not bad input).
          domain: rng.pick([w.crmUrl, w.crmUrl, 'https://', 'ftp://x', 'http://example.com']),
          apiKey: rng.pick([w.e1.apiKey, '', 'short']),
          enabled: rng.chance(0.5),
          changes: [{ userId: '18', extension: rng.pick(['151', '152', null]) }],
          names: { '18': 'Иван' },
        }),
        carrier: 'json',
        headers: (rng): Record<string, string> => {
          const r = rng.next();
          if (r < 0.7) return { cookie: admin.cookie, 'x-csrf-token': admin.csrf };
          if (r < 0.8) return { cookie: admin.cookie };
          if (r < 0.9) return { 'x-csrf-token': admin.csrf };
          return { cookie: 'rcrm_admin=forged; rcrm_csrf=forged', 'x-csrf-token': 'forged' };
        },
        bodyLimit: 256 * 1024,
        digitFields: ['apiKey'],
      },
      // One at a time: a PUT /connection that saved a domain other than the fake is put back before the
      // next request, so that a 502 from GET /managers can only mean a bug (a CRM that is down is a 502
      // by design).
      lanes: 1,
      after: async (req, status) => {
        if (req.method !== 'PUT' || !/\/connection(\?|$)/.test(req.url) || status !== 200) return;
        await w.sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,domain}', to_jsonb(${w.crmUrl}::text))
                    where number = ${w.e1.number}`;
      },
      // Deleting the connection ends the session the rest of the run uses.
      skip: (req) =>
        req.method === 'DELETE' &&
        /\/connection(\?|$)/.test(req.url) &&
        (req.headers.cookie ?? '').includes(admin.cookie),
    },
    {
      app: w.retailcrm,
      count: n(500),
      spec: {
        name: 'retailcrm GET|POST /retailcrm-admin/auth',
        methods: ['GET', 'POST'],
        path: () => '/retailcrm-admin/auth',
        valid: (rng) => ({
          token: rng.chance(0.5) ? admin.linkToken : admin.linkToken.slice(0, -2) + 'xx',
          ...(rng.chance(0.3) ? { clientId: w.e1.clientId } : {}),
        }),
        carrier: 'form',
        headers: () => ({}),
        bodyLimit: 256 * 1024,
      },
    },
    {
      app: w.intake,
      count: n(1200),
      spec: {
        // Was red: the webhook handed any body to updates.ts (500 on an empty or null body, a missing chat
        // or from, a numeric text; PostgreSQL 22P02 on non-numeric ids). Fixed in 2658d90: parseUpdate
        // answers 400 with the reason (regression test services/call-intake/test/telegram-webhook-input.test.ts).
        name: 'call-intake POST /telegram/webhook/:botId',
        methods: ['POST'],
        path: (rng) =>
          `/telegram/webhook/${rng.chance(0.9) ? w.e1.botId : rng.pick(['0', 'abc', '9'.repeat(25), w.e2.botId, '%00'])}`,
        valid: (rng) =>
          rng.chance(0.6)
            ? {
                update_id: rng.int(1, 1e9),
                message: {
                  message_id: 1,
                  text: rng.pick(['/start abc', '/start', '/stop', 'hello', '/start@bot x']),
                  chat: { id: rng.int(1000, 1010), type: 'private' },
                  from: { id: rng.int(1000, 1010) },
                },
              }
            : {
                update_id: rng.int(1, 1e9),
                callback_query: { id: String(rng.int(1, 1e6)), data: `call:${rng.int(1, 100)}`, from: { id: 1001 } },
              },
        carrier: 'json',
        headers: (rng): Record<string, string> =>
          rng.chance(0.9) ? { 'x-telegram-bot-api-secret-token': w.e1.webhookSecret } : {},
        bodyLimit: 256 * 1024,
        digitFields: ['update_id'],
      },
    },
  ];
}
