// Shared arrangement of the Telegram tests: a fake Bot API, an enterprise with a bot and recipient
// chats, and how to read "what each chat shows" back from the fake.
import type { Sql } from '@fleet/db';
import { createTelegramFake, type FakeLimits, type TelegramFake } from '@fleet/telegram-fake';
import { addEnterprise, intake, type ScenarioEvent } from './helpers.ts';

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
export async function addTelegramEnterprise(sql: Sql, e: { number: string; hostToken: string; botToken: string; chats: number[]; secret?: string }) {
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
  return { visible, finals: visible.filter((m) => FINAL.test(m.text)), live: visible.filter((m) => !FINAL.test(m.text)) };
}
