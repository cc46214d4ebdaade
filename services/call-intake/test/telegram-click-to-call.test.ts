// "Позвонить с <ext>" on a final message calls the client back through services/asterisk's
// POST /api/makecallexternal (a stand-in HTTP server on loopback here, checking the contract: code,
// phone, clientId = the enterprise's originate secret, requestedBy=telegram:<user id>), and answers the
// button with the outcome. Only an active recipient of the enterprise may press it; the callback data
// is an opaque card id; failures of the asterisk service come back as reasons people can act on.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import type { TelegramFake } from '@fleet/telegram-fake';
import { intake, scenario, withDatabase } from './helpers.ts';
import { addTelegramEnterprise, post, startFake, telegramConfig } from './telegram-harness.ts';

const BOT = '8500:CALLBACK-token';
const SECRET = 'c0ffee'.repeat(6);
const MANAGER = 8502; // linked with extension 151 (the harness gives the second chat 151)
const OWNER = 8501; // no extension

let db: TestDatabase;
let sql: Sql;
let fake: TelegramFake;
let app: Awaited<ReturnType<typeof intake>>;
let asterisk: Server;
let asteriskUrl: string;
/** What the stand-in received, and what it answers next. */
const received: Record<string, string>[] = [];
const routes: string[] = [];
let answer: { status: number; body: Record<string, unknown> } = {
  status: 200,
  body: { success: true, status: 'accepted' },
};
let cardId: string;
let phone: string;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  asterisk = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      routes.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      received.push(Object.fromEntries(new URLSearchParams(body)));
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => asterisk.listen(0, '127.0.0.1', r));
  asteriskUrl = `http://127.0.0.1:${(asterisk.address() as { port: number }).port}`;
  let root: string;
  ({ fake, root } = await startFake([{ token: BOT, username: 'callback_bot' }]));
  await addTelegramEnterprise(sql, {
    number: '850',
    hostToken: 'HOST-850',
    botToken: BOT,
    chats: [OWNER, MANAGER],
    secret: 'callback-secret-0123456789',
  });
  await sql`insert into asterisk_hosts (enterprise, host, username, key_file, host_key, originate_secret)
            values ('850', '127.0.0.1', 'fleet', '/dev/null', 'ssh-ed25519 AAAA', ${SECRET})`;
  app = await intake(sql, { ...telegramConfig(root), ASTERISK_URL: asteriskUrl } as never);
  await post(app, scenario('2-1'), 'HOST-850');
  await app.processor.sweep();
  await new Promise((r) => setTimeout(r, 5));
  await app.processor.sweep();
  await app.telegram.worker.idle();
  const [card] = await sql<{ id: string; phone: string }[]>`
    select id::text, call->>'phone' as phone from telegram_cards where enterprise = '850' and chat_id = ${MANAGER} and stage = 'final'`;
  ({ id: cardId, phone } = card!);
});
afterAll(async () => {
  await app.close();
  await fake.close();
  await new Promise((r) => asterisk.close(r));
  await sql.end();
  await db.drop();
});
beforeEach(() => {
  received.length = 0;
  answer = { status: 200, body: { success: true, status: 'accepted' } };
});

let updateId = 0;
/** The user presses a button with `data`; resolves with what Telegram showed them. */
async function press(from: number, data: string) {
  const id = `cb-${++updateId}`;
  const res = await app.inject({
    method: 'POST',
    url: '/telegram/webhook/8500',
    headers: { 'x-telegram-bot-api-secret-token': 'callback-secret-0123456789' },
    payload: { update_id: updateId, callback_query: { id, data, from: { id: from } } },
  });
  expect(res.statusCode).toBe(200);
  return fake.callbackAnswers.find((a) => a.callbackQueryId === id)!;
}

describe('"Позвонить с" calls the client back', () => {
  it('the final message carries the button with an opaque card id, never the secret', () => {
    const final = fake.messages(BOT, MANAGER).find((m) => !m.deleted && /^<b>✅/.test(m.text))!;
    expect(final.replyMarkup).toEqual({
      inline_keyboard: [[{ text: 'Позвонить с 151', callback_data: `call:${cardId}` }]],
    });
    expect(JSON.stringify(fake.messages(BOT, MANAGER))).not.toContain(SECRET);
  });

  it("originates from the presser's extension to the client and says so", async () => {
    const shown = await press(MANAGER, `call:${cardId}`);
    expect(routes).toEqual(['POST /api/makecallexternal application/x-www-form-urlencoded']);
    expect(received).toEqual([
      { code: '151', phone, clientId: SECRET, requestedBy: `telegram:${MANAGER}`, wait: '0', deadlineMs: '11000' },
    ]);
    expect(shown).toMatchObject({ showAlert: false });
    expect(shown.text).toMatch(/^📞 Звоним: сначала зазвонит ваш 151, затем \+\d/);
  });

  it('refuses anyone who is not an active recipient of the enterprise, and junk callback data', async () => {
    expect((await press(999_999, `call:${cardId}`)).text).toBe('Эта кнопка не для вас.');
    expect((await press(MANAGER, 'call:1; drop table x')).text).toBe('Эта кнопка не для вас.');
    expect((await press(MANAGER, `call:${Number(cardId) + 1000}`)).text).toBe('Эта кнопка не для вас.');
    await sql`update telegram_recipients set active = false where chat_id = ${MANAGER}`;
    expect((await press(MANAGER, `call:${cardId}`)).text).toBe('Эта кнопка не для вас.');
    await sql`update telegram_recipients set active = true where chat_id = ${MANAGER}`;
    expect(received).toEqual([]);
  });

  it('tells a recipient without an extension there is nothing to call from', async () => {
    expect(await press(OWNER, `call:${cardId}`)).toMatchObject({
      text: expect.stringMatching(/не указан внутренний номер/),
      showAlert: true,
    });
    expect(received).toEqual([]);
  });

  it("answers the asterisk service's refusal with its code and the manager's reason", async () => {
    answer = {
      status: 502,
      body: {
        success: false,
        code: 'AST_ASTERISK_UNAVAILABLE',
        message: 'asterisk is not running',
        manager_reason: 'телефонная станция не работает',
      },
    };
    expect(await press(MANAGER, `call:${cardId}`)).toMatchObject({
      text: 'Не удалось позвонить: телефонная станция не работает (код AST_ASTERISK_UNAVAILABLE).',
      showAlert: true,
    });
    answer = {
      status: 400,
      body: {
        success: false,
        code: 'AST_INVALID_REQUEST',
        message: 'bad phone',
        manager_reason: 'номер не подходит для звонка',
      },
    };
    expect((await press(MANAGER, `call:${cardId}`)).text).toBe(
      'Не удалось позвонить: номер не подходит для звонка (код AST_INVALID_REQUEST).',
    );
    // An answer without a manager's reason (an older service): a reason by status, never its message.
    answer = {
      status: 502,
      body: { success: false, code: 'AST_HOST_UNREACHABLE', message: 'fleet@10.0.0.7:2222 refused the connection' },
    };
    expect((await press(MANAGER, `call:${cardId}`)).text).toBe(
      'Не удалось позвонить: телефонная станция не отвечает (код AST_HOST_UNREACHABLE).',
    );
    expect(received).toHaveLength(3);
  });

  it('never shows the host: user, address, port, path, key fingerprint stay in the journal (issue 15.3)', async () => {
    const detail =
      'host key mismatch for fleet@10.20.30.40:2222: expected SHA256:abcDEF0123456789, the host presented SHA256:zyx987; binary at "/opt/asterisk/sbin/asterisk"';
    answer = {
      status: 502,
      body: {
        success: false,
        code: 'AST_HOST_KEY_MISMATCH',
        message: detail,
        manager_reason: 'нет доступа к телефонной станции, обратитесь к администратору',
      },
    };
    const shown = await press(MANAGER, `call:${cardId}`);
    expect(shown.text).toBe(
      'Не удалось позвонить: нет доступа к телефонной станции, обратитесь к администратору (код AST_HOST_KEY_MISMATCH).',
    );
    for (const leak of ['10.20.30.40', '2222', 'fleet@', 'SHA256', '/opt/', 'mismatch'])
      expect(shown.text).not.toContain(leak);
    const [log] = await sql<
      { integration: string; ok: boolean; status_code: number; error: string; response: string }[]
    >`
      select integration, ok, status_code, error, response from integration_logs where enterprise = '850' and kind = 'click-to-call' order by id desc limit 1`;
    expect(log).toMatchObject({
      integration: 'telegram',
      ok: false,
      status_code: 502,
      error: `AST_HOST_KEY_MISMATCH: ${detail}`,
      response: shown.text,
    });
  });

  it('says when the enterprise has no Asterisk host, and when the service is down', async () => {
    await new Promise((r) => asterisk.close(r));
    expect((await press(MANAGER, `call:${cardId}`)).text).toBe(
      'Сервис звонков недоступен. Попробуйте через минуту (код TG_ASTERISK_SERVICE_DOWN).',
    );
    await sql`delete from asterisk_hosts where enterprise = '850'`;
    expect((await press(MANAGER, `call:${cardId}`)).text).toMatch(/не настроены \(нет АТС\)/);
    asterisk = createServer().listen(0); // for afterAll's close
  });
});
