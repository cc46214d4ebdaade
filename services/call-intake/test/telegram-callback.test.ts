// The callback on a missed call's final (issue 14 item 2), through call-intake's HTTP surface and the
// strict Telegram fake: a missed incoming customer call (scenario 2-4) and then a call with the same
// client number that was answered — the client calling again (2-3) or a manager calling back (1-1),
// spelled differently — edits the missed final once in every chat to add who reached the client, when
// and how long after; a second callback changes nothing; another number, a missed call older than the
// window and a message Telegram no longer lets us edit (48 h) are left alone without a retry loop; the
// mark is durable: an instance that never ran the worker leaves it to the next one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import { callbackLine, type CallbackInfo, type CardCall } from '@fleet/telegram-render';
import type { TelegramFake } from '@fleet/telegram-fake';
import { intake, scenario, withDatabase, type ScenarioEvent } from './helpers.ts';
import { addTelegramEnterprise, chatView, FAST, post, startFake, telegramConfig } from './telegram-harness.ts';

const OWNER = 8701;
const MANAGER = 8702; // extension 151
const CLIENT = '375440000001'; // the corpus's client number
const ENTERPRISES = ['701', '702', '703', '704', '705', '706', '707'];
const botOf = (n: string) => `87${n.slice(1)}:CALLBACK-token`;
const ctx = { region: 'BY', timeZone: 'Europe/Minsk', extensions: {}, lines: {} };

let db: TestDatabase;
let sql: Sql;
let tg: TelegramFake;
let root: string;
let app: Awaited<ReturnType<typeof intake>>;

/** A corpus call with unique UniqueIds (`tag`), optionally with another spelling of the client number. */
function call(code: string, tag: string, phone = CLIENT): ScenarioEvent[] {
  return JSON.parse(JSON.stringify(scenario(code)).replaceAll(CLIENT, phone)).map((e: ScenarioEvent) => ({
    ...e,
    body: {
      ...e.body,
      ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}${tag}` } : {}),
      ...(e.body.BridgeUniqueid ? { BridgeUniqueid: `${e.body.BridgeUniqueid}${tag}` } : {}),
    },
  }));
}
const missedId = (tag: string) => `1757773093.88${tag}`;

async function settle(on = app) {
  await on.processor.sweep();
  await new Promise((r) => setTimeout(r, 5));
  await on.processor.sweep();
  await on.telegram.worker.idle();
}

async function run(enterprise: string, events: ScenarioEvent[]) {
  await post(app, events, `HOST-${enterprise}`);
  await settle();
}

/** The missed call's final in `chat` (the fake's message object: text, edits, sentAt). */
function missedFinal(enterprise: string, chat: number, tag: string) {
  const rows = chatView(tg, botOf(enterprise), chat).finals.filter((m) => m.text.startsWith('<b>❌'));
  const m = rows.find((r) => r.messageId === finalIds.get(`${enterprise} ${chat} ${tag}`));
  if (!m) throw new Error(`no missed final ${tag} in ${chat}`);
  return m;
}
const finalIds = new Map<string, number>();

/** Posts a missed call and remembers its final per chat, with the text it was sent with. */
async function missed(enterprise: string, tag: string) {
  await run(enterprise, call('2-4', tag));
  const texts = new Map<number, string>();
  for (const chat of [OWNER, MANAGER]) {
    const [r] = await sql<{ id: string }[]>`
      select final_message_id::text as id from telegram_cards
      where enterprise = ${enterprise} and call_id = ${missedId(tag)} and chat_id = ${chat} and status = 'done'`;
    finalIds.set(`${enterprise} ${chat} ${tag}`, Number(r!.id));
    texts.set(chat, missedFinal(enterprise, chat, tag).text);
  }
  return texts;
}

async function cardOf(enterprise: string, tag: string, chat = OWNER) {
  const [r] = await sql<{ call: CardCall; callback: CallbackInfo | null; callback_shown: boolean; status: string }[]>`
    select call, callback, callback_shown, status from telegram_cards
    where enterprise = ${enterprise} and call_id = ${missedId(tag)} and chat_id = ${chat}`;
  return r!;
}

/** Moves a missed call back in time (as the card row holds it): for the delay and the window. */
async function age(enterprise: string, tag: string, ms: number) {
  await sql`
    update telegram_cards set call = call
      || jsonb_build_object('startedAt', (call->>'startedAt')::bigint - ${ms}::bigint)
      || jsonb_build_object('endedAt', (call->>'endedAt')::bigint - ${ms}::bigint)
    where enterprise = ${enterprise} and call_id = ${missedId(tag)}`;
}

/** The editMessageText requests the fake received from an enterprise's bot in a chat. */
const editsIn = (enterprise: string, chat: number) =>
  tg.requests.filter(
    (r) => r.bot === `callback_${enterprise}_bot` && r.method === 'editMessageText' && r.chatId === chat,
  );

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  ({ fake: tg, root } = await startFake(
    ENTERPRISES.map((n) => ({ token: botOf(n), username: `callback_${n}_bot` })),
    FAST,
  ));
  for (const n of ENTERPRISES)
    await addTelegramEnterprise(sql, {
      number: n,
      hostToken: `HOST-${n}`,
      botToken: botOf(n),
      chats: [OWNER, MANAGER],
    });
  app = await intake(sql, telegramConfig(root) as never);
});
afterAll(async () => {
  await app?.close();
  await tg?.close();
  await sql?.end();
  await db?.drop();
});

describe('a missed call, then the client is reached', () => {
  it('the client calls again and is answered: the missed final in each chat gains the line, once', async () => {
    const before = await missed('701', 'a');
    // Another client's answered call first: nothing happens to this final.
    await run('701', call('2-3', 'x', '375440000077'));
    expect((await cardOf('701', 'a')).callback).toBeNull();
    for (const chat of [OWNER, MANAGER]) expect(missedFinal('701', chat, 'a').edits).toBe(0);

    await run('701', call('2-3', 'b'));
    const card = await cardOf('701', 'a');
    expect(card.callback).toMatchObject({ callId: '1757772963.74b', direction: 'in', by: '151' });
    expect(card).toMatchObject({ callback_shown: true, status: 'done' });
    const line = callbackLine(card.call, card.callback!, ctx);
    expect(line).toMatch(/^↩️ Клиент позвонил снова, ответили: 151 в \d\d:\d\d, через \d+ с$/);
    for (const chat of [OWNER, MANAGER]) {
      const m = missedFinal('701', chat, 'a');
      expect(m.text).toBe(`${before.get(chat)}\n${line}`);
      expect(m.edits).toBe(1);
      // The answered call has its own final, and no live card is left.
      expect(chatView(tg, botOf('701'), chat).live).toEqual([]);
    }
  });

  it('a second callback (a manager calls the client back) changes nothing', async () => {
    const texts = [OWNER, MANAGER].map((c) => missedFinal('701', c, 'a').text);
    await run('701', call('1-1', 'c'));
    expect((await cardOf('701', 'a')).callback).toMatchObject({ callId: '1757772963.74b' });
    for (const [i, chat] of [OWNER, MANAGER].entries()) {
      expect(missedFinal('701', chat, 'a').text).toBe(texts[i]);
      expect(missedFinal('701', chat, 'a').edits).toBe(1);
    }
    expect(tg.violations()).toEqual([]);
  });

  it('a manager calls back, the number spelled 8 0…: both missed finals of the number are marked by that first call', async () => {
    await missed('702', 'a');
    await missed('702', 'b');
    await age('702', 'a', 6 * 60_000 + 10_000); // the first missed call was 6 minutes earlier
    await run('702', call('1-1', 'c', '80440000001'));
    for (const tag of ['a', 'b']) {
      const card = await cardOf('702', tag);
      expect(card.callback).toMatchObject({ callId: '1757765248.0c', direction: 'out', by: '151' });
      expect(card.callback_shown).toBe(true);
      for (const chat of [OWNER, MANAGER]) {
        const m = missedFinal('702', chat, tag);
        expect(m.edits).toBe(1);
        expect(m.text.split('\n').at(-1)).toMatch(
          tag === 'a'
            ? /^↩️ Клиенту перезвонили: 151 в \d\d:\d\d, через 6 мин$/
            : /^↩️ Клиенту перезвонили: 151 в \d\d:\d\d, через \d+ с$/,
        );
      }
    }
  });

  it('answered on a mobile (FollowMe): the line names the mobile', async () => {
    await missed('706', 'a');
    await run('706', call('2-5', 'b'));
    const card = await cardOf('706', 'a');
    expect(card.callback).toMatchObject({ direction: 'in', by: '375290000002' });
    for (const chat of [OWNER, MANAGER]) {
      expect(missedFinal('706', chat, 'a').edits).toBe(1);
      expect(missedFinal('706', chat, 'a').text.split('\n').at(-1)).toMatch(
        /^↩️ Клиент позвонил снова, ответили: \+375 \(29\) 000-00-02 \(мобильный\) в \d\d:\d\d, через \d+ с$/,
      );
    }
  });

  it('the callback marked before the missed final went out: the final goes out with the line, no edit needed', async () => {
    await post(app, [...call('2-4', 'a'), ...call('1-1', 'b')], 'HOST-707');
    await settle();
    for (const chat of [OWNER, MANAGER]) {
      expect(await cardOf('707', 'a', chat)).toMatchObject({ callback_shown: true, status: 'done' });
      const [m] = chatView(tg, botOf('707'), chat).finals.filter((f) => f.text.startsWith('<b>❌'));
      expect(m!.text.split('\n').at(-1)).toMatch(/^↩️ Клиенту перезвонили: 151 в \d\d:\d\d, через \d+ с$/);
      expect(m!.edits).toBe(0);
    }
  });

  it('a missed call older than the 7-day window is left alone', async () => {
    await missed('703', 'a');
    await age('703', 'a', 8 * 24 * 3600_000);
    await run('703', call('2-3', 'b'));
    expect(await cardOf('703', 'a')).toMatchObject({ callback: null, callback_shown: false, status: 'done' });
    for (const chat of [OWNER, MANAGER]) expect(missedFinal('703', chat, 'a').edits).toBe(0);
  });

  it('a final Telegram no longer lets the bot edit (48 h) or the user deleted counts as done: one try, no loop', async () => {
    await missed('704', 'a');
    const old = missedFinal('704', OWNER, 'a');
    old.sentAt -= 49 * 3600_000;
    tg.userDeletes(botOf('704'), MANAGER, missedFinal('704', MANAGER, 'a').messageId);
    const failuresBefore = app.telegram.worker.stats.failures;
    await run('704', call('2-3', 'b'));
    for (const chat of [OWNER, MANAGER])
      expect(await cardOf('704', 'a', chat)).toMatchObject({ callback_shown: true, status: 'done' });
    expect(old.edits).toBe(0);
    // The missed final went out as a new message (loud): these are the amend attempts, one per chat.
    expect(editsIn('704', OWNER).map((r) => [r.status, r.description])).toEqual([
      [400, "Bad Request: message can't be edited"],
    ]);
    expect(editsIn('704', MANAGER).map((r) => [r.status, r.description])).toEqual([
      [400, 'Bad Request: message to edit not found'],
    ]);
    expect(app.telegram.worker.stats.failures).toBe(failuresBefore);
  });
});

describe('durable', () => {
  it('the mark is written with the call; an instance that never worked it leaves the edit to the next', async () => {
    const before = await missed('705', 'a');
    await app.close();
    // An instance whose worker never runs (killed right after its processor committed the callback).
    const first = await intake(sql, telegramConfig(root) as never);
    await post(first, call('2-3', 'b'), 'HOST-705');
    await first.processor.sweep();
    await new Promise((r) => setTimeout(r, 5));
    await first.processor.sweep();
    expect(await cardOf('705', 'a')).toMatchObject({ callback_shown: false, status: 'pending' });
    await first.close();
    expect(missedFinal('705', OWNER, 'a').edits).toBe(0);

    app = await intake(sql, telegramConfig(root) as never);
    await settle();
    const card = await cardOf('705', 'a');
    expect(card).toMatchObject({ callback_shown: true, status: 'done' });
    for (const chat of [OWNER, MANAGER]) {
      expect(missedFinal('705', chat, 'a').text).toBe(
        `${before.get(chat)}\n${callbackLine(card.call, card.callback!, ctx)}`,
      );
      expect(missedFinal('705', chat, 'a').edits).toBe(1);
    }
  });
});
