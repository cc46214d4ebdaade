// Regression: the Telegram webhook answered 500 to malformed updates (null body, a message without a
// chat, a non-string text, a non-numeric chat id reaching bigint columns) — found by the fuzz suite.
import { describe, expect, it } from 'vitest';
import { parseUpdate } from '../src/telegram/updates.ts';

describe('parseUpdate', () => {
  it.each([
    ['null', null],
    ['an array', []],
    ['no update_id', { message: { chat: { id: 1 }, text: '/start' } }],
    ['a message without chat', { update_id: 1, message: { text: '/stop' } }],
    ['a non-string text', { update_id: 1, message: { chat: { id: 1 }, text: 5 } }],
    ['a string chat id', { update_id: 1, message: { chat: { id: '12abc' }, text: '/stop' } }],
    ['a huge chat id', { update_id: 1, message: { chat: { id: 1e300 }, text: '/stop' } }],
    ['a callback without from', { update_id: 1, callback_query: { id: 'x', data: 'call:1' } }],
  ])('refuses %s with a reason', (_name, body) => {
    const r = parseUpdate(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBeTruthy();
  });

  it('accepts update kinds the fleet ignores, so Telegram does not redeliver them', () => {
    expect(parseUpdate({ update_id: 7, edited_message: { foo: 1 } })).toEqual({ ok: true, update: { update_id: 7 } });
  });

  it('keeps what the handler reads', () => {
    const r = parseUpdate({
      update_id: 2,
      message: { text: '/start abc', chat: { id: -100, type: 'group' }, from: { id: 9 }, extra: 1 },
    });
    expect(r).toEqual({
      ok: true,
      update: { update_id: 2, message: { text: '/start abc', chat: { id: -100, type: 'group' }, from: { id: 9 } } },
    });
  });
});
