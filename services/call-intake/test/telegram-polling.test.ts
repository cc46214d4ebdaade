// Long polling, the mode a laptop gets: without PUBLIC_BASE_URL (and without TELEGRAM_MODE) call-intake
// polls getUpdates, and `/start <code>` sent to the bot links the chat exactly as through the webhook;
// the update is then confirmed (the next getUpdates offset), so Telegram drops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import type { TelegramFake } from '@fleet/telegram-fake';
import { telegramOptions } from '../src/telegram/options.ts';
import { intake, withDatabase } from './helpers.ts';
import { addTelegramEnterprise, startFake, telegramConfig } from './telegram-harness.ts';

const BOT = '8300:POLLING-token';

let db: TestDatabase;
let sql: Sql;
let fake: TelegramFake;
let app: Awaited<ReturnType<typeof intake>>;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; ; ) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  let root: string;
  ({ fake, root } = await startFake([{ token: BOT, username: 'poll_bot' }]));
  await addTelegramEnterprise(sql, { number: '500', hostToken: 'HOST-500', botToken: BOT, chats: [5001] });
  await sql`update telegram_bots set mode = 'polling' where enterprise = '500'`; // as set-token leaves a new bot
  // No TELEGRAM_MODE and no PUBLIC_BASE_URL: the default must be polling.
  app = await intake(sql, { ...telegramConfig(root), TELEGRAM_MODE: undefined, WORKERS: true } as never);
});
afterAll(async () => {
  await app.close();
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('telegram polling', () => {
  it('is the default without PUBLIC_BASE_URL; with one it is webhook; TELEGRAM_MODE decides when set', () => {
    expect(telegramOptions(sql, { WORKERS: true }).mode).toBe('polling');
    expect(telegramOptions(sql, { WORKERS: true, PUBLIC_BASE_URL: 'https://fleet.example' }).mode).toBe('webhook');
    expect(
      telegramOptions(sql, { WORKERS: true, PUBLIC_BASE_URL: 'https://fleet.example', TELEGRAM_MODE: 'polling' }).mode,
    ).toBe('polling');
  });

  it('/start <code> through getUpdates links the chat and is answered; the update is confirmed', async () => {
    await sql`insert into telegram_invites (code, enterprise, extension, expires_at) values ('poll-invite-1', '500', '153', now() + interval '1 day')`;
    fake.pushUpdate(BOT, {
      message: { message_id: 1, text: '/start poll-invite-1', chat: { id: 5002, type: 'private' }, from: { id: 5002 } },
    });
    const linked = await until(
      'the chat to be linked',
      async () =>
        (
          await sql`select kind, extension, active from telegram_recipients where enterprise = '500' and chat_id = 5002`
        )[0],
    );
    expect(linked).toEqual({ kind: 'manager', extension: '153', active: true });
    await until('the reply', () => fake.messages(BOT, 5002).at(-1));
    expect(fake.messages(BOT, 5002).map((m) => m.text)).toEqual([expect.stringMatching(/^✅ Готово/)]);
    expect(fake.requests.some((r) => r.method === 'getUpdates' && r.status === 200)).toBe(true);
    // The next long poll carries offset = update_id + 1: Telegram (the fake) forgets the update.
    await until('the update to be confirmed', () => (fake.bot(BOT).updates.length === 0 ? true : undefined));
  });
});
