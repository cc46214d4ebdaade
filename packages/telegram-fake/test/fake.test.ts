// The fake is only useful if it is as strict as Telegram: these tests pin the errors the fleet must
// handle (429 with retry_after, violations, 403 blocked, not modified, not found, bad HTML).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTelegramFake, htmlError, type TelegramFake } from '../src/index.ts';

const TOKEN = '111:AAA';
let fake: TelegramFake;
let root: string;

async function call(method: string, body: Record<string, unknown> = {}, token = TOKEN) {
  const res = await fetch(`${root}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeEach(async () => {
  fake = createTelegramFake({
    bots: [{ token: TOKEN, username: 'shop_bot' }],
    limits: { privatePerSecond: 1, privateBurst: 2, groupPerMinute: 3, botPerSecond: 5 },
  });
  root = await fake.listen();
});
afterEach(() => fake.close());

describe('telegram fake', () => {
  it('answers getMe per token and 401 for an unknown token', async () => {
    expect((await call('getMe')).body.result).toMatchObject({ id: 111, is_bot: true, username: 'shop_bot' });
    expect((await call('getMe', {}, '999:x')).status).toBe(401);
  });

  it('sends, edits, refuses an unchanged edit and edits of deleted messages', async () => {
    const s = await call('sendMessage', { chat_id: 5, text: '<b>a</b> &amp; b', parse_mode: 'HTML' });
    const id = s.body.result.message_id;
    expect(
      (await call('editMessageText', { chat_id: 5, message_id: id, text: '<b>a</b> &amp; b', parse_mode: 'HTML' })).body
        .description,
    ).toMatch(/message is not modified/);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await call('editMessageText', { chat_id: 5, message_id: id, text: 'c', parse_mode: 'HTML' })).status).toBe(
      200,
    );
    fake.userDeletes(TOKEN, 5, id);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await call('editMessageText', { chat_id: 5, message_id: id, text: 'd' })).body.description).toBe(
      'Bad Request: message to edit not found',
    );
    expect(fake.messages(TOKEN, 5)).toMatchObject([{ text: 'c', edits: 1, deleted: true }]);
  });

  it('rejects unescaped HTML with 400 "can\'t parse entities"', async () => {
    const r = await call('sendMessage', { chat_id: 5, text: 'Иван <Петров>', parse_mode: 'HTML' });
    expect(r.status).toBe(400);
    expect(r.body.description).toMatch(/can't parse entities/);
    expect(htmlError('a & b')).toMatch(/can't parse entities/);
    expect(
      htmlError('<blockquote expandable>x</blockquote> <a href="https://x/?a=1&amp;b=2">y</a> &#128222;'),
    ).toBeNull();
    expect(htmlError('<b>x</i>')).toMatch(/unmatched end tag/);
  });

  it('answers 429 with retry_after past the private-chat burst, and records a request inside it as a violation', async () => {
    expect((await call('sendMessage', { chat_id: 7, text: '1' })).status).toBe(200);
    expect((await call('sendMessage', { chat_id: 7, text: '2' })).status).toBe(200);
    const limited = await call('sendMessage', { chat_id: 7, text: '3' });
    expect(limited.status).toBe(429);
    expect(limited.body.parameters.retry_after).toBe(1);
    expect(fake.violations()).toHaveLength(0);
    expect((await call('sendMessage', { chat_id: 7, text: '3' })).status).toBe(429);
    expect(fake.violations()).toHaveLength(1);
    // another chat is not affected by this chat's retry_after
    expect((await call('sendMessage', { chat_id: 8, text: 'x' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await call('sendMessage', { chat_id: 7, text: '3' })).status).toBe(200);
  });

  it('limits a group to its per-minute quota and the bot to its per-second quota', async () => {
    for (let i = 0; i < 3; i++)
      expect((await call('sendMessage', { chat_id: -100, text: String(i) })).status).toBe(200);
    const g = await call('sendMessage', { chat_id: -100, text: 'x' });
    expect(g.status).toBe(429);
    expect(g.body.parameters.retry_after).toBeGreaterThan(50);
    expect((await call('sendMessage', { chat_id: 1, text: 'x' })).status).toBe(200);
    expect((await call('sendMessage', { chat_id: 2, text: 'x' })).status).toBe(200);
    const b = await call('sendMessage', { chat_id: 3, text: 'x' });
    expect(b.status).toBe(429);
    expect((await call('deleteMessage', { chat_id: 4, message_id: 1 })).status).toBe(429); // the whole bot waits
    expect(fake.violations()).toHaveLength(1);
  });

  it('403 for a chat that blocked the bot; callback data over 64 bytes is refused', async () => {
    fake.block(9);
    expect((await call('sendMessage', { chat_id: 9, text: 'x' })).body).toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
    const r = await call('sendMessage', {
      chat_id: 10,
      text: 'x',
      reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: 'x'.repeat(65) }]] },
    });
    expect(r.body.description).toBe('Bad Request: BUTTON_DATA_INVALID');
  });

  it('refuses a URL button whose link is not http(s) or tg://', async () => {
    for (const [i, url] of ['javascript:alert(1)', '/customers/7', ''].entries()) {
      const r = await call('sendMessage', {
        chat_id: 20 + i,
        text: 'x',
        reply_markup: { inline_keyboard: [[{ text: 'Клиент', url }]] },
      });
      expect(r.body.description).toBe('Bad Request: BUTTON_URL_INVALID');
    }
    const ok = await call('sendMessage', {
      chat_id: 30,
      text: 'x',
      reply_markup: { inline_keyboard: [[{ text: 'Клиент', url: 'https://shop.retailcrm.ru/customers/7' }]] },
    });
    expect(ok.status).toBe(200);
  });

  it('webhook info, and getUpdates delivers pushed updates (409 while a webhook is set)', async () => {
    await call('setWebhook', { url: 'https://x/telegram/webhook/111', secret_token: 's' });
    expect((await call('getWebhookInfo')).body.result).toMatchObject({
      url: 'https://x/telegram/webhook/111',
      pending_update_count: 0,
    });
    expect((await call('getUpdates')).status).toBe(409);
    await call('deleteWebhook');
    const pending = call('getUpdates', { timeout: 5 });
    fake.pushUpdate(TOKEN, { message: { text: '/start abc', chat: { id: 5 } } });
    const r = await pending;
    expect(r.body.result).toMatchObject([{ update_id: 1, message: { text: '/start abc' } }]);
    expect((await call('getUpdates', { offset: 2 })).body.result).toEqual([]);
  });
});
