// The life of one call in one chat, event by event (ringing → talking → one final), the greeting that
// waits for a dial, a late event that must not reopen a finished call, a blocked chat, a card deleted
// by its user, an edit Telegram had already applied, the recording link of a final; and the webhook:
// /start <code> links a chat (also when Telegram delivers it twice), a wrong secret is 401, /stop unlinks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import type { TelegramFake } from '@fleet/telegram-fake';
import { createTelegramSink } from '../src/telegram/sink.ts';
import { intake, scenario, withDatabase, type ScenarioEvent } from './helpers.ts';
import { addTelegramEnterprise, chatView, FAST, post, startFake, telegramConfig } from './telegram-harness.ts';

const BOT = '8100:LIFECYCLE-token';
const SECRET = 'webhook-secret-0123456789';
const A = 2001;
const B = 2002;
const RECORDS = 'https://records.example.com/{enterprise}/{uniqueId}.mp3?c={callId}';

let db: TestDatabase;
let sql: Sql;
let fake: TelegramFake;
let root: string;
let app: Awaited<ReturnType<typeof intake>>;

/** The scenario with its UniqueIds made unique to this test run (`tag`). */
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
  ({ fake, root } = await startFake([{ token: BOT, username: 'shop_bot' }], FAST));
  await addTelegramEnterprise(sql, {
    number: '300',
    hostToken: 'HOST-300',
    botToken: BOT,
    chats: [A, B],
    secret: SECRET,
  });
  // Where the PBX keeps recordings: the template the RetailCRM history record uses too.
  await sql`update enterprises set integrations_config = ${sql.json({ retailcrm: { enabled: false, record_url_template: RECORDS } })} where number = '300'`;
  app = await intake(sql, { ...telegramConfig(root), TELEGRAM_GREETING_DELAY_MS: 300 } as never);
});
afterAll(async () => {
  await app.close();
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('card life cycle', () => {
  it('2-1 event by event: no card during the greeting, ringing on dial, talking on answer, the same message edited into the final', async () => {
    const events = fresh('2-1', 'a');
    const seen: string[] = [];
    for (const e of events) {
      await post(app, [e], 'HOST-300');
      await settle();
      const v = chatView(fake, BOT, A);
      seen.push(v.visible.map((m) => m.text.split('\n')[0]).join('|'));
    }
    expect(seen[0]).toBe(''); // start: the dial follows within 300 ms, so no greeting
    expect(seen).toContain('<b>📞 Входящий звонок</b>');
    expect(seen).toContain('<b>🗣 Разговор (входящий)</b>');
    expect(seen.at(-1)).toBe('<b>✅ Успешный входящий звонок</b>');
    const all = fake.messages(BOT, A);
    expect(all).toHaveLength(1); // one message all along: edited, never re-sent
    expect(all[0]!.disableNotification).toBe(true);
  });

  it('a missed incoming call (2-2) notifies: a new loud final, the live card deleted', async () => {
    const before = fake.messages(BOT, B).length;
    for (const e of fresh('2-2', 'b')) {
      await post(app, [e], 'HOST-300');
      await settle();
    }
    const mine = fake.messages(BOT, B).slice(before);
    expect(mine.map((m) => [m.deleted, m.text.split('\n')[0]])).toEqual([
      [true, '<b>📞 Входящий звонок</b>'],
      [false, '<b>❌ Мы не подняли трубку</b>'],
    ]);
    expect(mine[1]!.disableNotification).toBe(false);
  });

  it("the final message of an answered call links its recording (the CRM history's template); a missed call has none", async () => {
    const answered = fresh('2-1', 'r');
    const missed = fresh('2-2', 'r');
    const before = fake.messages(BOT, A).length;
    await post(app, answered, 'HOST-300');
    await post(app, missed, 'HOST-300');
    await settle();
    const finals = fake
      .messages(BOT, A)
      .slice(before)
      .filter((m) => !m.deleted);
    const id = encodeURIComponent(String(answered[0]!.body.UniqueId));
    expect(finals.map((m) => m.text.split('\n')[0])).toEqual([
      '<b>✅ Успешный входящий звонок</b>',
      '<b>❌ Мы не подняли трубку</b>',
    ]);
    expect(finals[0]!.text).toContain(
      `🎧 <a href="https://records.example.com/300/${id}.mp3?c=${id}">Запись разговора</a>`,
    );
    expect(finals[1]!.text).not.toContain('Запись');
  });

  it('a greeting card shows when no dial follows within the delay, and still ends as one final', async () => {
    const events = fresh('2-1', 'c');
    const before = fake.messages(BOT, A).length;
    await post(app, events.slice(0, 1), 'HOST-300'); // start only
    await settle();
    expect(fake.messages(BOT, A).length).toBe(before);
    await new Promise((r) => setTimeout(r, 350));
    await app.telegram.worker.idle();
    expect(
      fake
        .messages(BOT, A)
        .slice(before)
        .map((m) => m.text.split('\n')[0]),
    ).toEqual(['<b>📞 Входящий звонок (приветствие)</b>']);
    await post(app, events.slice(1), 'HOST-300');
    await settle();
    const v = chatView(fake, BOT, A);
    expect(v.live).toEqual([]);
    expect(
      fake
        .messages(BOT, A)
        .slice(before)
        .filter((m) => !m.deleted)
        .map((m) => m.text.split('\n')[0]),
    ).toEqual(['<b>✅ Успешный входящий звонок</b>']);
  });

  it('a late ringing effect never turns a finished call back into a live card', async () => {
    const [card] = await sql<{ call_id: string; call: any; version: number }[]>`
      select call_id, call, version from telegram_cards where enterprise = '300' and chat_id = ${A} and stage = 'final' limit 1`;
    const late = { ...card!.call, status: 'ringing' };
    await sql.begin((tx) =>
      createTelegramSink({ greetingDelayMs: 0 })(tx as never, '300', [
        { effect: { type: 'call.ringing', key: 'ringing:9', call: late, newExtensions: ['152'] }, raw: null },
      ]),
    );
    await app.telegram.worker.idle();
    const [after] = await sql<{ stage: string; version: number }[]>`
      select stage, version from telegram_cards where enterprise = '300' and chat_id = ${A} and call_id = ${card!.call_id}`;
    expect(after).toEqual({ stage: 'final', version: card!.version });
    expect(chatView(fake, BOT, A).live).toEqual([]);
  });

  it('a card its user deleted still gets its final (as a new message), without loops', async () => {
    const events = fresh('2-1', 'd');
    const cut = events.findIndex((e) => e.event === 'bridge_leave');
    await post(app, events.slice(0, cut), 'HOST-300');
    await settle();
    const live = chatView(fake, BOT, A).live;
    expect(live).toHaveLength(1);
    fake.userDeletes(BOT, A, live[0]!.messageId);
    await post(app, events.slice(cut), 'HOST-300');
    await settle();
    const v = chatView(fake, BOT, A);
    expect(v.live).toEqual([]);
    expect(v.finals.at(-1)!.text).toMatch(/^<b>✅ Успешный входящий звонок/);
  });

  it('an edit Telegram already applied ("message is not modified") counts as done: no loop, no second message', async () => {
    const events = fresh('2-1', 'm');
    await post(app, events, 'HOST-300');
    await settle();
    const callId = String(events[0]!.body.UniqueId);
    const [done] = await sql<{ final_message_id: string }[]>`
      select final_message_id::text from telegram_cards where enterprise = '300' and chat_id = ${A} and call_id = ${callId}`;
    // The final edit reached Telegram but its answer was never recorded (a restart): the row still
    // shows the live card, so the worker edits it into the final again.
    await sql`update telegram_cards set live_message_id = final_message_id, live_text = 'talking (before the restart)',
              final_message_id = null, status = 'pending', lease_until = null
              where enterprise = '300' and chat_id = ${A} and call_id = ${callId}`;
    const from = fake.requests.length;
    const failures = app.telegram.worker.stats.failures;
    await app.telegram.worker.idle();
    const sent = fake.requests.slice(from).filter((r) => r.chatId === A);
    expect(sent.map((r) => [r.method, r.status])).toEqual([['editMessageText', 400]]);
    expect(sent[0]!.description).toMatch(/message is not modified/);
    const [after] = await sql`select status, live_message_id, final_message_id::text, last_error from telegram_cards
                              where enterprise = '300' and chat_id = ${A} and call_id = ${callId}`;
    expect(after).toEqual({
      status: 'done',
      live_message_id: null,
      final_message_id: done!.final_message_id,
      last_error: null,
    });
    expect(app.telegram.worker.stats.failures).toBe(failures);
  });

  it('a card worked twice (another holder recorded its message meanwhile) converges: our duplicate is deleted', async () => {
    const events = fresh('2-2', 'f');
    const dial = events.findIndex((e) => e.event === 'dial') + 1;
    const before = fake.messages(BOT, A).length;
    fake.holdRequests(true);
    await post(app, events.slice(0, dial), 'HOST-300');
    await app.processor.sweep();
    app.telegram.worker.kick();
    for (let i = 0; fake.held() < 2 && i < 200; i++) await new Promise((r) => setTimeout(r, 10)); // A's and B's ringing cards
    expect(fake.held()).toBe(2);
    fake.holdRequests(false);
    // Meanwhile "another instance" (our lease had expired) sent chat A's ringing card and recorded it.
    const callId = `${events[0]!.body.UniqueId}`;
    const other = await fetch(`${root}/bot${BOT}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: A, text: 'ringing (other instance)' }),
    }).then((r) => r.json() as Promise<{ result: { message_id: number } }>);
    await sql`update telegram_cards set live_message_id = ${other.result.message_id}, live_text = 'ringing (other instance)'
              where enterprise = '300' and chat_id = ${A} and call_id = ${callId}`;
    fake.releaseHeld(); // our send reaches Telegram now and is answered
    await app.telegram.worker.idle();
    const mine = fake.messages(BOT, A).slice(before);
    expect(mine.filter((m) => !m.deleted).map((m) => m.messageId)).toEqual([other.result.message_id]); // ours deleted
    expect(mine.find((m) => m.messageId === other.result.message_id)!.text).toMatch(/^<b>📞 Входящий звонок/); // edited to what we show
    await post(app, events.slice(dial), 'HOST-300');
    await settle();
    expect(chatView(fake, BOT, A).live).toEqual([]);
    expect(
      fake
        .messages(BOT, A)
        .slice(before)
        .filter((m) => !m.deleted)
        .map((m) => m.text.split('\n')[0]),
    ).toEqual(['<b>❌ Мы не подняли трубку</b>']);
  });

  it('403 "bot was blocked" makes the recipient inactive; its cards stop', async () => {
    fake.block(B);
    // Another client's number: with the corpus's number this answered call would also be the callback
    // of this file's earlier missed calls, whose amends (telegram-callback.test.ts) would hit B at once.
    const other = JSON.parse(JSON.stringify(fresh('2-3', 'e')).replaceAll('375440000001', '375440000088'));
    await post(app, other, 'HOST-300');
    await settle();
    const [r] = await sql`select active from telegram_recipients where enterprise = '300' and chat_id = ${B}`;
    expect(r!.active).toBe(false);
    const blocked = fake.requests.filter((x) => x.chatId === B && x.status === 403);
    expect(blocked).toHaveLength(1);
  });
});

describe('webhook', () => {
  const hook = (update: object, secret = SECRET, botId = '8100') =>
    app.inject({
      method: 'POST',
      url: `/telegram/webhook/${botId}`,
      headers: { 'x-telegram-bot-api-secret-token': secret },
      payload: update,
    });

  it('rejects a wrong or missing secret with 401 and an unknown bot with 404', async () => {
    expect((await hook({ update_id: 1 }, 'wrong-secret-0123456789')).statusCode).toBe(401);
    const none = await app.inject({ method: 'POST', url: '/telegram/webhook/8100', payload: { update_id: 1 } });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('INTAKE_TELEGRAM_WEBHOOK_UNAUTHORIZED');
    expect((await hook({ update_id: 1 }, SECRET, '999')).statusCode).toBe(404);
  });

  it('/start <code> links the chat once; the code cannot be reused; /stop unlinks', async () => {
    await sql`insert into telegram_invites (code, enterprise, extension, expires_at) values ('invite-code-1', '300', '152', now() + interval '1 day')`;
    const res = await hook({
      update_id: 2,
      message: { text: '/start invite-code-1', chat: { id: 3003, type: 'private' }, from: { id: 3003 } },
    });
    expect(res.statusCode).toBe(200);
    const [r] =
      await sql`select kind, extension, active, user_id::text from telegram_recipients where enterprise = '300' and chat_id = 3003`;
    expect(r).toEqual({ kind: 'manager', extension: '152', active: true, user_id: '3003' });
    expect(fake.messages(BOT, 3003).at(-1)!.text).toMatch(/^✅ Готово/);

    await hook({ update_id: 3, message: { text: '/start invite-code-1', chat: { id: 3004 }, from: { id: 3004 } } });
    expect(await sql`select 1 from telegram_recipients where chat_id = 3004`).toHaveLength(0);
    expect(fake.messages(BOT, 3004).at(-1)!.text).toMatch(/недействительна/);

    await hook({ update_id: 4, message: { text: '/stop', chat: { id: 3003 }, from: { id: 3003 } } });
    const [s] = await sql`select active from telegram_recipients where enterprise = '300' and chat_id = 3003`;
    expect(s!.active).toBe(false);
  });

  it('the same /start delivered twice (Telegram redelivers) answers as linked both times', async () => {
    await sql`insert into telegram_invites (code, enterprise, expires_at) values ('invite-code-2', '300', now() + interval '1 day')`;
    const update = {
      update_id: 7,
      message: { text: '/start invite-code-2', chat: { id: 3005, type: 'private' }, from: { id: 3005 } },
    };
    expect((await hook(update)).statusCode).toBe(200);
    expect((await hook(update)).statusCode).toBe(200);
    expect(fake.messages(BOT, 3005).map((m) => m.text.slice(0, 8))).toEqual(['✅ Готово', '✅ Готово']);
    expect(await sql`select active from telegram_recipients where enterprise = '300' and chat_id = 3005`).toEqual([
      { active: true },
    ]);
    // Still one-time for anyone else, and for this chat once it has left.
    await hook({ update_id: 8, message: { text: '/start invite-code-2', chat: { id: 3006 }, from: { id: 3006 } } });
    expect(fake.messages(BOT, 3006).at(-1)!.text).toMatch(/недействительна/);
    await hook({ update_id: 9, message: { text: '/stop', chat: { id: 3005 }, from: { id: 3005 } } });
    await hook(update);
    expect(fake.messages(BOT, 3005).at(-1)!.text).toMatch(/недействительна/);
    expect(await sql`select active from telegram_recipients where enterprise = '300' and chat_id = 3005`).toEqual([
      { active: false },
    ]);
  });

  it('answers a "Позвонить с" press through the webhook (click-to-call itself: telegram-click-to-call.test.ts)', async () => {
    const [card] = await sql<{ id: string }[]>`select id::text from telegram_cards where enterprise = '300' limit 1`;
    await hook({ update_id: 5, callback_query: { id: 'cb1', data: `call:${card!.id}`, from: { id: A } } });
    await hook({ update_id: 6, callback_query: { id: 'cb2', data: `call:${card!.id}`, from: { id: 999999 } } });
    expect(fake.callbackAnswers.map((a) => a.text)).toEqual([
      'У вас не указан внутренний номер: звонок не с чего начать.', // A is the owner, without an extension
      'Эта кнопка не для вас.',
    ]);
  });
});
