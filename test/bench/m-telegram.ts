// Measurement 6: a Telegram burst — `calls` calls within `spreadMs` for one bot with 3 private chats —
// with the machinery of services/call-intake/test/telegram-burst.test.ts (strict Bot API fake that
// enforces the limits, call-intake built in process with its workers). Total time from the first
// event to the last request the fake received, against the least the limits allow.
// SCALING (as in the test): bot 50/s instead of 30/s, private chat 20/s (burst 3) instead of ~1/s;
// at the real limits 300 calls × 3 chats need ≥ 300 s of one final per second per chat. The bot limit
// binds either way; the ratio to the limit-implied minimum is what is compared.
import { intake, scenario, withDatabase, type ScenarioEvent } from '../../services/call-intake/test/helpers.ts';
import { addTelegramEnterprise, post, startFake, telegramConfig } from '../../services/call-intake/test/telegram-harness.ts';

const BOT = '8200:BURST-token';
const CHATS = [4001, 4002, 4003];
export const TELEGRAM_LIMITS = { botPerSecond: 50, privatePerSecond: 20, privateBurst: 3, groupPerMinute: 20 };

export interface TelegramResult {
  calls: number;
  chats: number;
  postedS: number;
  totalS: number;
  minimumS: number;
  ratio: number;
  requests: Record<string, number>;
  violations: number;
}

export async function benchTelegram(o: { calls: number; spreadMs: number }): Promise<TelegramResult> {
  const { db, sql } = await withDatabase();
  const { fake, root } = await startFake([{ token: BOT, username: 'burst_bot' }], TELEGRAM_LIMITS);
  await addTelegramEnterprise(sql, { number: '400', hostToken: 'HOST-400', botToken: BOT, chats: CHATS });
  const app = await intake(sql, { ...telegramConfig(root, TELEGRAM_LIMITS), WORKERS: true, PROCESSOR_POLL_MS: 100 } as never);
  const call = (i: number): ScenarioEvent[] =>
    scenario('2-3').map((e) => ({ ...e, body: { ...e.body, ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}b${i}` } : {}), ...(e.body.BridgeUniqueid ? { BridgeUniqueid: `${e.body.BridgeUniqueid}b${i}` } : {}) } }));
  try {
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: o.calls }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * o.spreadMs) / o.calls));
        await post(app, call(i), 'HOST-400');
      }),
    );
    const posted = Date.now() - t0;
    for (let waited = 0; ; waited += 200) {
      const [r] = await sql<{ n: number }[]>`select count(*)::int as n from telegram_cards where status = 'done' and stage = 'final'`;
      if (r!.n === o.calls * CHATS.length) break;
      if (waited > 120_000) throw new Error(`only ${r!.n} cards done`);
      await new Promise((res) => setTimeout(res, 200));
    }
    const chatRequests = fake.requests.filter((r) => r.chatId !== null);
    const total = (Math.max(...chatRequests.map((r) => r.t)) - t0) / 1000;
    const finals = o.calls * CHATS.length;
    const minimum = Math.max((finals - TELEGRAM_LIMITS.botPerSecond) / TELEGRAM_LIMITS.botPerSecond, (o.calls - TELEGRAM_LIMITS.privateBurst) / TELEGRAM_LIMITS.privatePerSecond, posted / 1000);
    const requests: Record<string, number> = {};
    for (const r of chatRequests) requests[r.status] = (requests[r.status] ?? 0) + 1;
    return { calls: o.calls, chats: CHATS.length, postedS: posted / 1000, totalS: total, minimumS: minimum, ratio: total / minimum, requests, violations: fake.violations().length };
  } finally {
    await app.close();
    await fake.close();
    await sql.end();
    await db.drop();
  }
}
