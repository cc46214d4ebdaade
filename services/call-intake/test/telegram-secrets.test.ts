// Bot tokens at rest: call-intake delivers with a token stored encrypted (AES-256-GCM with
// SECRETS_KEY, bound to the enterprise), still reads a legacy plain one and stores it encrypted in its
// place, and when a token cannot be decrypted (another SECRETS_KEY) it postpones the cards, says why
// on the bot (fleet telegram status) and answers the webhook 503 so Telegram redelivers later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import { decryptSecret, encryptSecret, isEncrypted } from '@fleet/secrets';
import type { TelegramFake } from '@fleet/telegram-fake';
import { intake, scenario, withDatabase, type ScenarioEvent } from './helpers.ts';
import { addTelegramEnterprise, chatView, post, startFake, telegramConfig } from './telegram-harness.ts';

const KEY = Buffer.alloc(32, 3);
const ENC = '8401:ENCRYPTED-token';
const LEGACY = '8402:LEGACY-token';
const OTHER = '8403:OTHER-KEY-token';

let db: TestDatabase;
let sql: Sql;
let fake: TelegramFake;
let app: Awaited<ReturnType<typeof intake>>;

const fresh = (code: string, tag: string): ScenarioEvent[] =>
  scenario(code).map((e) => ({
    ...e,
    body: { ...e.body, ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}${tag}` } : {}) },
  }));

async function settle() {
  await app.processor.sweep();
  await new Promise((r) => setTimeout(r, 5));
  await app.processor.sweep();
  await app.telegram.worker.idle();
}

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  let root: string;
  ({ fake, root } = await startFake([ENC, LEGACY, OTHER].map((token, i) => ({ token, username: `secret_bot${i}` }))));
  await addTelegramEnterprise(sql, { number: '841', hostToken: 'HOST-841', botToken: ENC, chats: [8411] });
  await addTelegramEnterprise(sql, { number: '842', hostToken: 'HOST-842', botToken: LEGACY, chats: [8421] });
  await addTelegramEnterprise(sql, {
    number: '843',
    hostToken: 'HOST-843',
    botToken: OTHER,
    chats: [8431],
    secret: 'other-secret-0123456789',
  });
  await sql`update telegram_bots set token = ${encryptSecret(KEY, ENC, '841')} where enterprise = '841'`;
  await sql`update telegram_bots set token = ${encryptSecret(Buffer.alloc(32, 4), OTHER, '843')} where enterprise = '843'`;
  app = await intake(sql, { ...telegramConfig(root), SECRETS_KEY: KEY } as never);
});
afterAll(async () => {
  await app.close();
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('bot tokens at rest', () => {
  it('delivers with an encrypted token', async () => {
    await post(app, fresh('2-1', 's1'), 'HOST-841');
    await settle();
    expect(chatView(fake, ENC, 8411).finals).toHaveLength(1);
  });

  it('delivers with a legacy plain token and stores it encrypted in its place', async () => {
    await post(app, fresh('2-1', 's2'), 'HOST-842');
    await settle();
    expect(chatView(fake, LEGACY, 8421).finals).toHaveLength(1);
    const [bot] = await sql<{ token: string }[]>`select token from telegram_bots where enterprise = '842'`;
    expect(isEncrypted(bot!.token)).toBe(true);
    expect(decryptSecret(KEY, bot!.token, '842')).toBe(LEGACY);
  });

  it('postpones the cards of a bot whose token another key encrypted, and says why', async () => {
    await post(app, fresh('2-1', 's3'), 'HOST-843');
    await app.processor.sweep();
    await new Promise((r) => setTimeout(r, 5));
    await app.processor.sweep();
    app.telegram.worker.kick();
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.messages(OTHER, 8431)).toEqual([]);
    const [card] = await sql<{ status: string; attempts: number; last_error: string }[]>`
      select status, attempts, last_error from telegram_cards where enterprise = '843'`;
    expect(card).toMatchObject({ status: 'pending', attempts: 1 });
    expect(card!.last_error).toMatch(/wrong SECRETS_KEY/);
    const [bot] = await sql<{ last_error: string }[]>`select last_error from telegram_bots where enterprise = '843'`;
    expect(bot!.last_error).toMatch(/wrong SECRETS_KEY/);
    const hook = await app.inject({
      method: 'POST',
      url: '/telegram/webhook/8403',
      headers: { 'x-telegram-bot-api-secret-token': 'other-secret-0123456789' },
      payload: { update_id: 1 },
    });
    expect(hook.statusCode).toBe(503);
    expect(hook.json().code).toBe('INTAKE_TELEGRAM_TOKEN_UNREADABLE');
    expect(JSON.stringify(card) + hook.body).not.toContain(OTHER); // the token is never in an error
  });
});
