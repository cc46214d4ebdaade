// The callback line of a missed call's final (issue 14 item 2): who reached the client, when (the
// enterprise's zone) and how long after the missed call, with the customer's name when RetailCRM knows
// it; neutral wording; only on a missed final; within Telegram's 4096 characters.
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '@fleet/call-model';
import {
  callbackLine,
  formatDelay,
  MAX_TEXT,
  renderCard,
  type CallbackInfo,
  type RenderContext,
} from '../src/index.ts';

const ctx: RenderContext = {
  region: 'BY',
  timeZone: 'Europe/Minsk',
  extensions: { '151': 'Иван Петров' },
  mobiles: { '375290000002': 'Ольга' },
  lines: {},
};
// 14:26:00 in Minsk (UTC+3).
const MISSED_AT = Date.UTC(2025, 8, 14, 11, 26, 0);
const MIN = 60_000;

function missed(over: Partial<CallSummary> = {}): CallSummary {
  return {
    callId: '1757773093.88',
    kind: 'customer',
    direction: 'in',
    phone: '375440000001',
    trunk: '',
    ringing: ['151'],
    mobiles: [],
    status: 'ended',
    answered: false,
    answeredBy: null,
    talkedWith: [],
    result: null,
    startedAt: MISSED_AT,
    answeredAt: null,
    endedAt: MISSED_AT + 20_000,
    durationSec: 0,
    waitSec: 20,
    ...over,
  } as CallSummary;
}

const cb = (over: Partial<CallbackInfo> = {}): CallbackInfo => ({
  callId: '1757773500.90',
  direction: 'out',
  by: '151',
  at: MISSED_AT + 6 * MIN + 30_000,
  ...over,
});

describe('formatDelay', () => {
  it.each([
    [-5000, 'через 0 с'],
    [40_000, 'через 40 с'],
    [6 * MIN + 59_000, 'через 6 мин'],
    [125 * MIN, 'через 2 ч 5 мин'],
    [120 * MIN, 'через 2 ч'],
    [27 * 60 * MIN, 'через 1 сут 3 ч'],
    [48 * 60 * MIN, 'через 2 сут'],
  ])('%i ms → %s', (ms, text) => expect(formatDelay(ms)).toBe(text));
});

describe('callbackLine', () => {
  it('an outgoing callback: who, the time in the enterprise zone, and the delay from the missed call', () => {
    expect(callbackLine(missed(), cb(), ctx)).toBe('↩️ Клиенту перезвонили: Иван Петров (151) в 14:32, через 6 мин');
  });

  it('the client called again and was answered: said so, without guessing anybody gender', () => {
    expect(callbackLine(missed(), cb({ direction: 'in', at: MISSED_AT + 125 * MIN }), ctx)).toBe(
      '↩️ Клиент позвонил снова, ответили: Иван Петров (151) в 16:31, через 2 ч 5 мин',
    );
  });

  it("the customer's name from RetailCRM, escaped; «новый клиент» and no identity add nothing", () => {
    const line = (caller: RenderContext['caller']) => callbackLine(missed(), cb(), { ...ctx, caller });
    expect(line({ known: true, name: 'Анна  Смирнова & <Ко>' })).toBe(
      '↩️ Клиенту перезвонили (Анна Смирнова &amp; &lt;Ко&gt;): Иван Петров (151) в 14:32, через 6 мин',
    );
    expect(line({ known: false })).toBe('↩️ Клиенту перезвонили: Иван Петров (151) в 14:32, через 6 мин');
    expect(line(null)).toBe('↩️ Клиенту перезвонили: Иван Петров (151) в 14:32, через 6 мин');
  });

  it('a mobile answer shows the mapped manager, an unmapped one the number; unknown who: no name', () => {
    expect(callbackLine(missed(), cb({ direction: 'in', by: '375290000002' }), ctx)).toContain(
      'ответили: Ольга (мобильный) в 14:32',
    );
    expect(callbackLine(missed(), cb({ by: '375290000009' }), ctx)).toContain(
      'перезвонили: +375 (29) 000-00-09 (мобильный) в',
    );
    expect(callbackLine(missed(), cb({ by: null }), ctx)).toBe('↩️ Клиенту перезвонили в 14:32, через 6 мин');
  });

  it('a callback on another day (in the enterprise zone) shows the date', () => {
    // 00:10 next day in Minsk is still the 14th in UTC: the zone decides.
    const at = Date.UTC(2025, 8, 14, 21, 10, 0);
    expect(callbackLine(missed(), cb({ at }), ctx)).toBe(
      '↩️ Клиенту перезвонили: Иван Петров (151) в 15.09 00:10, через 9 ч 44 мин',
    );
  });
});

describe('renderCard with a callback', () => {
  it('ends the missed final with the line, the rest of the final unchanged', () => {
    const before = renderCard('final', missed(), ctx).text;
    const after = renderCard('final', missed(), { ...ctx, callback: cb() }).text;
    expect(after).toBe(`${before}\n↩️ Клиенту перезвонили: Иван Петров (151) в 14:32, через 6 мин`);
  });

  it('is not shown on live cards nor on an answered final', () => {
    for (const [stage, call] of [
      ['ringing', missed({ status: 'ringing' })],
      ['final', missed({ answered: true, answeredBy: '151', talkedWith: ['151'] })],
    ] as const)
      expect(renderCard(stage, call, { ...ctx, callback: cb() }).text).not.toContain('↩️');
  });

  it('stays within 4096 characters with 300 ringing extensions and a long name', () => {
    const call = missed({ ringing: Array.from({ length: 300 }, (_, i) => String(1000 + i)) });
    const { text } = renderCard('final', call, {
      ...ctx,
      extensions: Object.fromEntries(call.ringing.map((e) => [e, 'Я'.repeat(100)])),
      caller: { known: true, name: 'А'.repeat(5000) },
      callback: cb(),
    });
    expect(text.length).toBeLessThanOrEqual(MAX_TEXT);
    expect(text).toContain('↩️ Клиенту перезвонили');
  });
});
