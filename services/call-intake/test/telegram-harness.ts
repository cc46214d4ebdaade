// Shared arrangement of the Telegram tests: a fake Bot API, an enterprise with a bot and recipient
// chats, and how to read "what each chat shows" back from the fake.
import type { Sql } from '@fleet/db';
import { createTelegramFake, type FakeLimits, type TelegramFake } from '@fleet/telegram-fake';
import { addEnterprise, intake, scenario, withDatabase, type ScenarioEvent } from './helpers.ts';

export const FINAL = /^<b>(✅|❌)/;

export async function startFake(bots: { token: string; username: string }[], limits?: Partial<FakeLimits>) {
  const fake = createTelegramFake({ bots, limits });
  const root = await fake.listen();
  return { fake, root };
}

/** Fast limits for tests that are not about pacing (the same numbers for the fake and the fleet). */
export const FAST = { botPerSecond: 1000, privatePerSecond: 1000, privateBurst: 50, groupPerMinute: 100_000 };

export function telegramConfig(root: string, limits: typeof FAST = FAST, extra: Record<string, unknown> = {}) {
  return {
    TELEGRAM_API_ROOT: root,
    TELEGRAM_MODE: 'webhook' as const,
    TELEGRAM_BOT_PER_SECOND: limits.botPerSecond,
    TELEGRAM_PRIVATE_PER_SECOND: limits.privatePerSecond,
    TELEGRAM_PRIVATE_BURST: limits.privateBurst,
    TELEGRAM_GROUP_PER_MINUTE: limits.groupPerMinute,
    TELEGRAM_GREETING_DELAY_MS: 3000,
    TELEGRAM_TIMEOUT_MS: 3000,
    TELEGRAM_POLL_MS: 200,
    ...extra,
  };
}

/** An enterprise with a bot and `chats` linked recipient chats (the first is the owner). */
export async function addTelegramEnterprise(
  sql: Sql,
  e: { number: string; hostToken: string; botToken: string; chats: number[]; secret?: string },
) {
  await addEnterprise(sql, e.number, e.hostToken);
  const botId = e.botToken.split(':')[0]!;
  await sql`insert into telegram_bots (enterprise, bot_id, username, token, webhook_secret, mode)
            values (${e.number}, ${botId}, ${'bot' + botId}, ${e.botToken}, ${e.secret ?? 'secret-' + botId + '-aaaaaaaaaaaa'}, 'webhook')`;
  for (const [i, chat] of e.chats.entries()) {
    await sql`insert into telegram_recipients (enterprise, chat_id, user_id, kind, extension)
              values (${e.number}, ${chat}, ${chat > 0 ? chat : null}, ${i === 0 ? 'owner' : 'manager'}, ${i === 1 ? '151' : null})`;
  }
}

export async function post(app: Awaited<ReturnType<typeof intake>>, events: ScenarioEvent[], token: string) {
  for (const e of events) {
    const res = await app.inject({ method: 'POST', url: `/${e.event}`, payload: { ...e.body, Token: token } });
    if (res.statusCode !== 200) throw new Error(`${e.event}: ${res.statusCode} ${res.body}`);
  }
}

/** What a chat shows at the end: visible messages, and those still "live" (not a final). */
export function chatView(fake: TelegramFake, token: string, chat: number) {
  const visible = fake.messages(token, chat).filter((m) => !m.deleted);
  return {
    visible,
    finals: visible.filter((m) => FINAL.test(m.text)),
    live: visible.filter((m) => !FINAL.test(m.text)),
  };
}

/** Telegram's flood limits as the fleet and the fake are configured with them. */
export type TelegramLimits = typeof FAST;

/** Telegram's real limits (the fleet's defaults, config.ts; the fake's DEFAULT_LIMITS). */
export const REAL_LIMITS: TelegramLimits = {
  botPerSecond: 30,
  privatePerSecond: 1,
  privateBurst: 3,
  groupPerMinute: 20,
};

/** At most `max` in any `windowS` seconds: the n-th request no earlier than this after the first. */
const windowed = (n: number, max: number, windowS: number) => (n > 0 ? (Math.ceil(n / max) - 1) * windowS : 0);

/**
 * The least time (s, from the first request to the last) that ANY sender needs to put `perChat`
 * requests into each of `chats` under `limits`, and which limit sets it: the bot's window
 * (botPerSecond in any 1 s, over every chat's requests), each private chat's bucket (positive id:
 * privateBurst at once, then privatePerSecond) and each group's window (negative id: groupPerMinute in
 * any 60 s). The largest of them is what the limits allow; the fleet is measured against it.
 */
export function limitImpliedMinimum(limits: TelegramLimits, chats: number[], perChat: number) {
  const bySeconds = {
    bot: windowed(perChat * chats.length, limits.botPerSecond, 1),
    privateChat: chats.some((c) => c > 0) ? Math.max(0, (perChat - limits.privateBurst) / limits.privatePerSecond) : 0,
    group: chats.some((c) => c < 0) ? windowed(perChat, limits.groupPerMinute, 60) : 0,
  };
  const [binding, seconds] = Object.entries(bySeconds).reduce((a, b) => (b[1] > a[1] ? b : a)) as [
    keyof typeof bySeconds,
    number,
  ];
  return { seconds, binding, bySeconds };
}

/** What a burst run measured (services/call-intake/test/telegram-burst.test.ts, bench measurement 6). */
export interface BurstResult {
  calls: number;
  chats: number;
  limits: TelegramLimits;
  /** Seconds until the last call's events were all accepted. */
  postedS: number;
  /** Seconds from the first event to the last chat request the fake received. */
  totalS: number;
  /** What the limits allow (limitImpliedMinimum, and not before the last call was posted), and which bound set it. */
  minimumS: number;
  binding: 'bot' | 'privateChat' | 'group' | 'posting';
  ratio: number;
  /** Chat requests at the fake by HTTP status. */
  requests: Record<string, number>;
  violations: number;
  /** Per chat: final messages shown, and live cards left. */
  finals: number[];
  live: number[];
}

/**
 * `calls` answered incoming calls (scenario 2-3) posted within `spreadMs` for one bot whose recipients
 * are `chats`, with the fleet and the strict fake both at `limits`; waits until every card is done and
 * returns the fake's view of it. call-intake runs in process with its workers, on a fresh database.
 */
export async function runTelegramBurst(o: {
  calls: number;
  spreadMs: number;
  limits: TelegramLimits;
  chats: number[];
}): Promise<BurstResult> {
  const token = '8200:BURST-token';
  const { db, sql } = await withDatabase();
  const { fake, root } = await startFake([{ token, username: 'burst_bot' }], o.limits);
  await addTelegramEnterprise(sql, { number: '400', hostToken: 'HOST-400', botToken: token, chats: o.chats });
  const app = await intake(sql, { ...telegramConfig(root, o.limits), WORKERS: true, PROCESSOR_POLL_MS: 100 } as never);
  const call = (i: number): ScenarioEvent[] =>
    scenario('2-3').map((e) => ({
      ...e,
      body: {
        ...e.body,
        ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}b${i}` } : {}),
        ...(e.body.BridgeUniqueid ? { BridgeUniqueid: `${e.body.BridgeUniqueid}b${i}` } : {}),
      },
    }));
  try {
    const t0 = Date.now();
    // Each call's events in order, calls started on schedule independently (as hosts would post).
    await Promise.all(
      Array.from({ length: o.calls }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * o.spreadMs) / o.calls));
        await post(app, call(i), 'HOST-400');
      }),
    );
    const posted = (Date.now() - t0) / 1000;
    for (let waited = 0; ; waited += 200) {
      const [r] = await sql<
        { n: number }[]
      >`select count(*)::int as n from telegram_cards where status = 'done' and stage = 'final'`;
      if (r!.n === o.calls * o.chats.length) break;
      if (waited > 120_000) throw new Error(`only ${r!.n} cards done`);
      await new Promise((res) => setTimeout(res, 200));
    }
    const chatRequests = fake.requests.filter((r) => r.chatId !== null);
    const totalS = (Math.max(...chatRequests.map((r) => r.t)) - t0) / 1000;
    // The least any sender could do: one final per call per chat within every limit, and not before
    // the last call arrived.
    const limit = limitImpliedMinimum(o.limits, o.chats, o.calls);
    const [binding, minimumS] =
      limit.seconds >= posted ? [limit.binding, limit.seconds] : (['posting', posted] as const);
    const requests: Record<string, number> = {};
    for (const r of chatRequests) requests[r.status] = (requests[r.status] ?? 0) + 1;
    const views = o.chats.map((c) => chatView(fake, token, c));
    return {
      calls: o.calls,
      chats: o.chats.length,
      limits: o.limits,
      postedS: posted,
      totalS,
      minimumS,
      binding,
      ratio: totalS / minimumS,
      requests,
      violations: fake.violations().length,
      finals: views.map((v) => v.finals.length),
      live: views.map((v) => v.live.length),
    };
  } finally {
    await app.close();
    await fake.close();
    await sql.end();
    await db.drop();
  }
}
