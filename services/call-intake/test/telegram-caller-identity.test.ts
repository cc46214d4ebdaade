// The caller's identity on managers' cards (issue 14 item 2), through the real services: call-intake's
// card worker asks services/retailcrm (GET /internal/retailcrm/caller on loopback), which asks the
// RetailCRM fake. A known customer's name (escaped) and the URL buttons «Клиент» / «Последний заказ» /
// «Новый заказ» show on the ringing card and the final; an unknown number shows «новый клиент»; an
// enterprise without RetailCRM is never looked up. When RetailCRM or the retailcrm service hangs or
// fails, the card goes out without them after at most the short wait, and no later card of that number
// waits again; a late answer shows on the call's next edit. A stand-in proxy between the two services
// counts the lookups and can stall or cut them.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import type { TelegramFake } from '@fleet/telegram-fake';
import type { FastifyInstance } from 'fastify';
import { buildApp as buildRetailCrm, loadRetailCrmConfig } from '../../retailcrm/src/index.ts';
import { createCallerIdentity } from '../src/telegram/caller-identity.ts';
import { intake, scenario, withDatabase, type ScenarioEvent } from './helpers.ts';
import { addTelegramEnterprise, chatView, FAST, post, startFake, telegramConfig } from './telegram-harness.ts';

const BOT = '8600:CALLER-token';
const KEY = 'crm-key-cards-0123456789abcdef01234567';
const OWNER = 8601; // no extension
const MANAGER = 8602; // extension 151 (the harness gives it to the second chat)
const KNOWN = '375440000001'; // the corpus's client number
const UNKNOWN = '375440000077';

let db: TestDatabase;
let sql: Sql;
let tg: TelegramFake;
let crm: RetailCrmFake;
let crmUrl: string;
let retailcrm: FastifyInstance;
let proxy: Server;
let app: Awaited<ReturnType<typeof intake>>;
/** Lookups that reached the proxy ("<enterprise> <phone>"), those it answered, what it does per enterprise. */
const asked: string[] = [];
const answered: string[] = [];
/** stall: accepts, never answers; cut: closes the connection; late: answers once the ringing card is out. */
const modes = new Map<string, 'stall' | 'cut' | 'late'>();

/** The scenario for one enterprise: unique UniqueIds, optionally another client number. */
function fresh(tag: string, phone = KNOWN): ScenarioEvent[] {
  return JSON.parse(JSON.stringify(scenario('2-3')).replaceAll(KNOWN, phone)).map((e: ScenarioEvent) => ({
    ...e,
    body: {
      ...e.body,
      ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}${tag}` } : {}),
      ...(e.body.BridgeUniqueid ? { BridgeUniqueid: `${e.body.BridgeUniqueid}${tag}` } : {}),
    },
  }));
}

async function settle() {
  await app.processor.sweep();
  await new Promise((r) => setTimeout(r, 5));
  await app.processor.sweep();
  await app.telegram.worker.idle();
}

/** Posts the call up to its dial (the ringing card) and returns how long until the chats showed it (ms). */
async function ring(enterprise: string, events: ScenarioEvent[]): Promise<number> {
  const upToDial = events.slice(0, events.findIndex((e) => e.event === 'dial') + 1);
  const t0 = Date.now();
  await post(app, upToDial, `HOST-${enterprise}`);
  await settle();
  return Date.now() - t0;
}

/** Posts the rest of the call (answer, hangup) and returns how long until the finals showed (ms). */
async function finish(enterprise: string, events: ScenarioEvent[]): Promise<number> {
  const rest = events.slice(events.findIndex((e) => e.event === 'dial') + 1);
  const t0 = Date.now();
  await post(app, rest, `HOST-${enterprise}`);
  await settle();
  return Date.now() - t0;
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
}

const lookups = (enterprise: string) => asked.filter((a) => a.startsWith(`${enterprise} `));

/** Each enterprise has its own bot chats: the same two chat ids under different bots would collide. */
async function enterprise(number: string, withCrm: boolean) {
  await addTelegramEnterprise(sql, {
    number,
    hostToken: `HOST-${number}`,
    botToken: BOT.replace('8600', `86${number.slice(1)}`),
    chats: [OWNER, MANAGER],
  });
  if (withCrm)
    await sql`update enterprises set integrations_config = ${sql.json({
      retailcrm: { enabled: true, domain: crmUrl, api_key: KEY, client_id: `client-${number}` },
    })} where number = ${number}`;
}

const botOf = (number: string) => BOT.replace('8600', `86${number.slice(1)}`);
const view = (number: string, chat: number) => chatView(tg, botOf(number), chat);

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  crm = createRetailCrmFake({
    apiKeys: [{ key: KEY }],
    users: [{ id: 18, active: true }],
    customers: [
      {
        id: 7,
        firstName: 'Анна',
        lastName: 'Смирнова & <Ко>',
        phones: [{ number: '+375 (44) 000-00-01' }],
        lastOrderId: 42,
      },
    ],
  });
  crmUrl = await crm.listen();
  retailcrm = await buildRetailCrm({
    sql,
    config: loadRetailCrmConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'silent',
      RETAILCRM_RETRY_MIN_MS: '10',
      RETAILCRM_TIMEOUT_MS: '5000',
    }),
    logger: false,
  });
  const retailcrmUrl = await retailcrm.listen({ port: 0, host: '127.0.0.1' });
  proxy = createServer(async (req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const ent = q.get('enterprise') ?? '';
    asked.push(`${ent} ${q.get('phone')}`);
    if (modes.get(ent) === 'stall') return; // accepts, never answers
    if (modes.get(ent) === 'cut') return void req.socket.destroy();
    if (modes.get(ent) === 'late') await until(() => view(ent, OWNER).live.length > 0);
    const r = await fetch(`${retailcrmUrl}${req.url}`);
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
    answered.push(`${ent} ${q.get('phone')}`);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const bots = ['601', '602', '603', '604', '605', '606', '607', '608'].map((n) => ({
    token: botOf(n),
    username: `caller_${n}_bot`,
  }));
  let root: string;
  ({ fake: tg, root } = await startFake(bots, FAST));
  for (const n of ['601', '602', '604', '605', '606', '607', '608']) await enterprise(n, true);
  await enterprise('603', false);
  // Cards wait up to 1.5 s for the name: a lookup through the proxy, the service and the fake takes
  // milliseconds, and this leaves room for a loaded machine (the bound itself is tested below).
  app = await intake(sql, { ...telegramConfig(root), RETAILCRM_URL: proxyUrl, TELEGRAM_CALLER_WAIT_MS: 1500 } as never);
});
afterAll(async () => {
  await app?.close();
  proxy?.closeAllConnections();
  proxy?.close();
  await retailcrm?.close();
  await crm?.close();
  await tg?.close();
  await sql?.end();
  await db?.drop();
});
beforeEach(() => crm.setFaults({}));

const CRM_BUTTONS = () => [
  { text: 'Клиент', url: `${crmUrl}/customers/7` },
  { text: 'Последний заказ', url: `${crmUrl}/orders/42/edit` },
  { text: 'Новый заказ', url: `${crmUrl}/orders/add?customerId=7` },
];
const NAME = '— Смирнова &amp; &lt;Ко&gt; Анна';

describe('a RetailCRM enterprise', () => {
  it('a known customer: the ringing card and the final show the name, escaped, and the CRM buttons', async () => {
    const events = fresh('k');
    await ring('601', events);
    for (const chat of [OWNER, MANAGER]) {
      const [card] = view('601', chat).live;
      expect(card!.text).toContain(`Клиент: <b>+375 (44) 000-00-01</b> ${NAME}`);
      expect(card!.replyMarkup).toEqual({ inline_keyboard: [CRM_BUTTONS()] });
    }
    await finish('601', events);
    const owner = view('601', OWNER);
    expect(owner.live).toEqual([]);
    expect(owner.finals).toHaveLength(1);
    expect(owner.finals[0]!.text).toMatch(/^<b>✅ Успешный входящий звонок<\/b>/);
    expect(owner.finals[0]!.text).toContain(NAME);
    expect(owner.finals[0]!.replyMarkup).toEqual({ inline_keyboard: [CRM_BUTTONS()] });
    // The manager with an extension also gets "Позвонить с" (first row).
    expect(view('601', MANAGER).finals[0]!.replyMarkup).toEqual({
      inline_keyboard: [
        [{ text: 'Позвонить с 151', callback_data: expect.stringMatching(/^call:\d+$/) }],
        CRM_BUTTONS(),
      ],
    });
  });

  it('one lookup for the whole call: every edit in both chats used the cached answer', () => {
    expect(lookups('601')).toEqual([`601 ${KNOWN}`]);
  });

  it('an unknown number: «новый клиент» and only «Новый заказ»', async () => {
    const events = fresh('u', UNKNOWN);
    await ring('602', events);
    await finish('602', events);
    const [final] = view('602', OWNER).finals;
    expect(final!.text).toContain('Клиент: <b>+375 (44) 000-00-77</b> — новый клиент');
    expect(final!.replyMarkup).toEqual({
      inline_keyboard: [[{ text: 'Новый заказ', url: `${crmUrl}/orders/add?phone=${UNKNOWN}` }]],
    });
  });
});

describe('fail-open: no card waits for RetailCRM', () => {
  it('RetailCRM hangs: the ringing card goes out after the short wait, the number alone; the final does not wait again', async () => {
    crm.setFaults({ hangNext: 1, hangMs: 5_000, path: '/api/v5/telephony/manager' });
    const events = fresh('h');
    // The retailcrm service answers "unavailable" at its own deadline (1.2 s): no name, no buttons.
    await ring('604', events);
    const [card] = view('604', OWNER).live;
    expect(card!.text).toContain('Клиент: <b>+375 (44) 000-00-01</b>\n');
    expect(card!.replyMarkup).toBeNull();
    await finish('604', events);
    const [final] = view('604', OWNER).finals;
    expect(final!.text).not.toContain(' — ');
    expect(final!.replyMarkup).toBeNull();
    expect(lookups('604')).toHaveLength(1);
  });

  it('the answer comes after the card stopped waiting: the ringing card goes without the name, the final (a later edit) has it', async () => {
    modes.set('605', 'late'); // the proxy answers only once the ringing card is out
    const events = fresh('s');
    await ring('605', events);
    expect(view('605', OWNER).live[0]!.text).not.toContain(' — ');
    await until(() => answered.some((a) => a.startsWith('605 ')));
    await finish('605', events);
    const owner = view('605', OWNER);
    expect(owner.visible).toHaveLength(1); // the same message, edited into the final
    expect(owner.finals[0]!.text).toContain(NAME);
    expect(owner.finals[0]!.replyMarkup).toEqual({ inline_keyboard: [CRM_BUTTONS()] });
    expect(lookups('605')).toHaveLength(1);
  });

  it('RetailCRM answers 503: the number alone (not «новый клиент»)', async () => {
    crm.setFaults({ fail503Next: 50, path: '/api/v5/telephony/manager' });
    const events = fresh('f');
    await ring('606', events);
    await finish('606', events);
    const [final] = view('606', OWNER).finals;
    expect(final!.text).toContain('Клиент: <b>+375 (44) 000-00-01</b>\n');
    expect(final!.text).not.toContain('новый клиент');
  });

  it('the retailcrm service stalls or cuts the connection: the cards go out anyway, without a name', async () => {
    modes.set('607', 'stall');
    modes.set('608', 'cut');
    for (const n of ['607', '608']) {
      const events = fresh(`x${n}`);
      await ring(n, events);
      await finish(n, events);
      const [final] = view(n, OWNER).finals;
      expect(final!.text).toMatch(/^<b>✅/);
      expect(final!.text).not.toContain(' — ');
    }
  });
});

describe('no RetailCRM integration', () => {
  it('no lookup at all; the card shows the number alone', async () => {
    const events = fresh('n');
    await ring('603', events);
    await finish('603', events);
    expect(lookups('603')).toEqual([]);
    const [final] = view('603', MANAGER).finals;
    expect(final!.text).toContain('Клиент: <b>+375 (44) 000-00-01</b>\n');
    expect(final!.replyMarkup).toEqual({
      inline_keyboard: [[{ text: 'Позвонить с 151', callback_data: expect.stringMatching(/^call:\d+$/) }]],
    });
  });
});

describe('the lookup itself (createCallerIdentity against a stalled server)', () => {
  it('answers null while the request is still unanswered (no card waits past waitMs); later asks neither wait nor ask again', async () => {
    let requests = 0;
    const stalled = createServer(() => void requests++); // never answers
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    const identity = createCallerIdentity({
      retailcrmUrl: `http://127.0.0.1:${(stalled.address() as { port: number }).port}`,
      waitMs: 300,
      timeoutMs: 120_000, // the request outlives the test: only the wait can end get()
    });
    try {
      expect(await identity.get('700', KNOWN)).toBeNull();
      expect(requests).toBe(1);
      // The number's wait has passed: a new ask resolves before any timer of the wait's length could fire.
      const later = Promise.all([identity.get('700', KNOWN), identity.get('700', KNOWN)]).then(() => 'resolved');
      const timer = new Promise((r) => setTimeout(() => r('waited'), 250));
      expect(await Promise.race([later, timer])).toBe('resolved');
      expect(requests).toBe(1);
    } finally {
      await identity.close();
      stalled.closeAllConnections();
      stalled.close();
    }
  });
});

describe('Telegram', () => {
  it('refused nothing: every button URL was http(s), every text within the limits', () => {
    expect(tg.violations()).toEqual([]);
    expect(tg.requests.filter((r) => r.status !== 200)).toEqual([]);
  });
});
