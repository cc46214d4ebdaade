// Acceptance: all 45 recorded scenarios replayed for enterprises with 3 recipient chats (two private,
// one group) against the strict Bot API fake. For every call and chat exactly one final message and
// no live card left; internal calls shown as internal; mobile (FollowMe) and consultation legs never
// get cards of their own; no request is refused by the fake (HTML, limits, not modified).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import type { CallSummary } from '@fleet/call-model';
import type { TelegramFake } from '@fleet/telegram-fake';
import { FIXTURES, intake, scenario, withDatabase } from './helpers.ts';
import { addTelegramEnterprise, chatView, FAST, post, startFake, telegramConfig } from './telegram-harness.ts';

const codes = (JSON.parse(readFileSync(new URL('_index.json', FIXTURES), 'utf8')) as { code: string }[]).map(
  (e) => e.code,
);
const CHATS = [1001, 1002, -1003];
const botToken = (i: number) => `${7000 + i}:TEST-token-${i}`;

let db: TestDatabase;
let sql: Sql;
let fake: TelegramFake;
let app: Awaited<ReturnType<typeof intake>>;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  const started = await startFake(
    codes.map((_, i) => ({ token: botToken(i), username: `bot${i}` })),
    FAST,
  );
  fake = started.fake;
  app = await intake(sql, { ...telegramConfig(started.root), TELEGRAM_GREETING_DELAY_MS: 0 } as never);
  for (const [i] of codes.entries()) {
    await addTelegramEnterprise(sql, {
      number: String(500 + i),
      hostToken: `HOST-${i}`,
      botToken: botToken(i),
      chats: CHATS,
    });
  }
  await sql`insert into extension_directory (enterprise, extension, name) select number, '151', 'Иван <Петров>' from enterprises`;
  await sql`insert into line_directory (enterprise, trunk, name) select number, '0001363', 'МТС & Co' from enterprises`;
  for (const [i, code] of codes.entries()) await post(app, scenario(code), `HOST-${i}`);
  // settleMs and closeWithoutHangupMs are 0 in these tests: two sweeps close every call.
  await app.processor.sweep();
  await new Promise((r) => setTimeout(r, 10));
  await app.processor.sweep();
  await app.telegram.worker.idle();
}, 120_000);

afterAll(async () => {
  await app.close();
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('Telegram cards for the 45 scenarios', () => {
  it('every call gets exactly one final message per chat and no live card is left', async () => {
    let checked = 0;
    for (const [i, code] of codes.entries()) {
      const calls = await sql<{ call_id: string; kind: string; status: string; summary: CallSummary }[]>`
        select call_id, kind, status, summary from calls where enterprise = ${String(500 + i)}`;
      for (const chat of CHATS) {
        const view = chatView(fake, botToken(i), chat);
        expect({ code, chat, live: view.live.map((m) => m.text) }).toEqual({ code, chat, live: [] });
        expect({ code, chat, finals: view.finals.length }).toEqual({ code, chat, finals: calls.length });
        const cards = await sql<{ call_id: string; final_message_id: string; status: string }[]>`
          select call_id, final_message_id::text, status from telegram_cards where enterprise = ${String(500 + i)} and chat_id = ${chat}`;
        expect(cards.map((c) => c.call_id).sort()).toEqual(calls.map((c) => c.call_id).sort());
        for (const c of cards) {
          expect(c.status).toBe('done');
          const final = view.finals.find((m) => m.messageId === Number(c.final_message_id));
          expect(final, `${code} ${c.call_id} chat ${chat}`).toBeDefined();
          const call = calls.find((x) => x.call_id === c.call_id)!;
          if (call.kind === 'internal') expect(final!.text).toMatch(/внутренний звонок|Коллега не поднял/);
          else expect(final!.text).not.toMatch(/внутренний|Коллега/);
          checked++;
        }
      }
      expect(
        calls.every((c) => c.status === 'ended'),
        code,
      ).toBe(true);
    }
    expect(checked).toBeGreaterThan(40 * 3);
  });

  it('mobile and consultation legs never get cards of their own', async () => {
    const legs = await sql<{ leg: string }[]>`
      select jsonb_array_elements_text(summary->'mobileLegs') as leg from calls
      union all select jsonb_array_elements_text(summary->'consultationLegs') from calls`;
    expect(legs.length).toBeGreaterThan(0);
    const [n] = await sql<
      { n: number }[]
    >`select count(*)::int as n from telegram_cards where call_id = any(${legs.map((l) => l.leg)})`;
    expect(n!.n).toBe(0);
  });

  it('the fake refused nothing: valid HTML, no limit hit, no pointless edit', () => {
    expect(fake.requests.filter((r) => r.status !== 200)).toEqual([]);
    expect(fake.violations()).toEqual([]);
  });

  it('only missed incoming calls notify; customer finals of recipients with an extension carry "Позвонить с 151"', () => {
    const all = codes.flatMap((_, i) =>
      CHATS.flatMap((chat) => chatView(fake, botToken(i), chat).finals.map((m) => ({ chat, m }))),
    );
    for (const { m } of all) expect(m.disableNotification).toBe(!m.text.startsWith('<b>❌ Мы не подняли трубку'));
    expect(all.some(({ m }) => !m.disableNotification)).toBe(true);
    for (const { chat, m } of all) {
      const customer = !/внутренний звонок|Коллега не поднял/.test(m.text) && !m.text.includes('Номер не определен');
      if (chat === 1002 && customer) expect(JSON.stringify(m.replyMarkup)).toContain('Позвонить с 151');
      else expect(m.replyMarkup).toBeNull();
    }
    expect(
      all.some(({ chat, m }) => chat === 1002 && m.replyMarkup === null),
      'internal calls have no button',
    ).toBe(true);
    expect(all.some(({ m }) => m.text.includes('Иван &lt;Петров&gt; (151)'))).toBe(true);
  });
});
