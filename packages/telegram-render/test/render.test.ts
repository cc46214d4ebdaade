// The text managers read: phone formatting, escaping, stage titles, the collapse of long manager lists,
// the 4096-character limit and which message may notify.
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '@fleet/call-model';
import {
  classifyNumber,
  escapeHtml,
  finalKeyboard,
  formatDuration,
  formatPhone,
  formatTime,
  isLoud,
  MAX_TEXT,
  renderCard,
  UNKNOWN_NUMBER,
  type RenderContext,
} from '../src/index.ts';

const ctx: RenderContext = {
  region: 'BY',
  timeZone: 'Europe/Minsk',
  extensions: { '150': 'Анна', '151': 'Иван <Петров> & Co' },
  lines: { '0001363': 'МТС "основная"' },
};

function call(over: Partial<CallSummary> = {}): CallSummary {
  return {
    callId: '1757772742.60',
    kind: 'customer',
    direction: 'in',
    phone: '375291234567',
    trunk: '0001363',
    ringing: ['150', '151', '152'],
    mobiles: [],
    status: 'ended',
    answered: true,
    answeredBy: '151',
    talkedWith: ['151'],
    result: 'answered',
    startedAt: Date.UTC(2025, 8, 14, 9, 30, 5),
    answeredAt: null,
    endedAt: null,
    durationSec: 65,
    waitSec: 12,
    hostStartTime: '',
    hostEndTime: '',
    legs: [],
    mobileLegs: [],
    consultationLegs: [],
    originatedBy: null,
    closedByTimeout: false,
    ...over,
  };
}

describe('formatPhone', () => {
  it.each([
    ['375291234567', 'BY', '+375 (29) 123-45-67'],
    ['+375291234567', 'RU', '+375 (29) 123-45-67'],
    ['375291234567', 'RU', '+375 (29) 123-45-67'], // 11+ digits that fail under RU are retried with '+'
    ['80291234567', 'BY', '+375 (29) 123-45-67'],
    ['74950000003', 'BY', '+7 (495) 000-00-03'],
    ['89161234567', 'RU', '+7 (916) 123-45-67'],
    ['375440000001', 'BY', '+375 (44) 000-00-01'],
  ])('%s under %s → %s', (raw, region, out) => expect(formatPhone(raw, region)).toBe(out));

  it.each(['', '<unknown>', 'Anonymous', '  ', 'abc', '1'])('%j is "Номер не определен"', (raw) =>
    expect(formatPhone(raw, 'RU')).toBe(UNKNOWN_NUMBER),
  );

  it('never turns an extension or a trunk id into a phone number (PITFALLS.md)', () => {
    expect(formatPhone('101', 'RU')).toBe('101');
    expect(formatPhone('SIP/150', 'BY')).toBe('150');
    expect(formatPhone('0001363', 'BY')).toBe('0001363');
    expect(classifyNumber('12345')).toEqual({ kind: 'extension', digits: '12345' });
    expect(classifyNumber('0001366').kind).toBe('trunk');
    expect(classifyNumber('375290000002').kind).toBe('external');
  });

  it('keeps an unparseable external number as its digits', () => {
    expect(formatPhone('12345678', 'BY')).toBe('12345678');
    expect(formatPhone('+999123456789', 'BY')).toBe('+999123456789');
  });
});

describe('format helpers', () => {
  it('formats time in the enterprise zone and durations in Russian', () => {
    expect(formatTime(Date.UTC(2025, 8, 14, 9, 30, 5), 'Europe/Minsk')).toBe('14.09.2025 12:30:05');
    expect(formatTime(Date.UTC(2025, 8, 14, 23, 0, 0), 'Asia/Vladivostok')).toBe('15.09.2025 09:00:00');
    expect(formatDuration(0)).toBe('0 с');
    expect(formatDuration(null)).toBe('0 с');
    expect(formatDuration(45)).toBe('45 с');
    expect(formatDuration(125)).toBe('2 мин 05 с');
    expect(formatDuration(3725)).toBe('1 ч 02 мин 05 с');
  });
  it('escapes every HTML-special character', () => {
    expect(escapeHtml('<b>"a" & b</b>')).toBe('&lt;b&gt;&quot;a&quot; &amp; b&lt;/b&gt;');
  });
});

describe('renderCard', () => {
  it('ringing incoming: client, ringing managers with names, line; names escaped; quiet', () => {
    const r = renderCard(
      'ringing',
      call({ status: 'ringing', answered: false, answeredBy: null, talkedWith: [] }),
      ctx,
    );
    expect(r.text).toBe(
      '<b>📞 Входящий звонок</b>\nКлиент: <b>+375 (29) 123-45-67</b>\n' +
        'Звонят: Анна (150), Иван &lt;Петров&gt; &amp; Co (151), 152\nЛиния: МТС &quot;основная&quot; (0001363)',
    );
    expect(r.disableNotification).toBe(true);
  });

  it('greeting card names no managers; unknown number and unknown line', () => {
    const r = renderCard('greeting', call({ phone: '', trunk: '0001366', ringing: [] }), ctx);
    expect(r.text).toBe('<b>📞 Входящий звонок (приветствие)</b>\nКлиент: Номер не определен\nЛиния: 0001366');
  });

  it('talking shows who talks; client name escaped', () => {
    const r = renderCard('talking', call({ status: 'talking' }), { ...ctx, clientName: 'ООО <Ромашка>' });
    expect(r.text).toContain('<b>🗣 Разговор (входящий)</b>');
    expect(r.text).toContain('Клиент: <b>+375 (29) 123-45-67</b> — ООО &lt;Ромашка&gt;');
    expect(r.text).toContain('Менеджер: Иван &lt;Петров&gt; &amp; Co (151)');
  });

  it('final answered incoming: start time, talk duration, recording link; quiet', () => {
    const r = renderCard('final', call(), { ...ctx, recordingUrl: 'https://rec.example/a?b=1&c=2' });
    expect(r.text.split('\n')).toEqual([
      '<b>✅ Успешный входящий звонок</b>',
      'Клиент: <b>+375 (29) 123-45-67</b>',
      'Менеджер: Иван &lt;Петров&gt; &amp; Co (151)',
      'Линия: МТС &quot;основная&quot; (0001363)',
      'Начало: 14.09.2025 12:30:05',
      'Разговор: 1 мин 05 с',
      '🎧 <a href="https://rec.example/a?b=1&amp;c=2">Запись разговора</a>',
    ]);
    expect(r.disableNotification).toBe(true);
  });

  it('missed incoming is loud and shows ring time; a non-http recording link is dropped', () => {
    const c = call({
      answered: false,
      answeredBy: null,
      talkedWith: [],
      result: 'no answer',
      durationSec: 0,
      waitSec: 25,
    });
    const r = renderCard('final', c, { ...ctx, recordingUrl: 'javascript:alert(1)' });
    expect(r.text).toContain('<b>❌ Мы не подняли трубку</b>');
    expect(r.text).toContain('Звонят: Анна (150), Иван &lt;Петров&gt; &amp; Co (151), 152');
    expect(r.text).toContain('Ожидание: 25 с');
    expect(r.text).not.toContain('javascript');
    expect(r.disableNotification).toBe(false);
    expect(isLoud('ringing', c)).toBe(false);
  });

  it('outgoing: caller as manager; missed outgoing is "Абонент не поднял трубку" and quiet', () => {
    const c = call({
      direction: 'out',
      phone: '74950000003',
      ringing: ['151'],
      answered: false,
      answeredBy: '151',
      talkedWith: [],
      result: 'no answer',
    });
    expect(renderCard('ringing', c, ctx).text).toBe(
      '<b>📤 Исходящий звонок</b>\nКлиент: <b>+7 (495) 000-00-03</b>\nМенеджер: Иван &lt;Петров&gt; &amp; Co (151)\nЛиния: МТС &quot;основная&quot; (0001363)',
    );
    const r = renderCard('final', c, ctx);
    expect(r.text).toContain('<b>❌ Абонент не поднял трубку</b>');
    expect(r.disableNotification).toBe(true);
    expect(renderCard('final', { ...c, answered: true }, ctx).text).toContain('✅ Успешный исходящий звонок');
  });

  it('internal calls are shown as internal, with no client or line', () => {
    const c = call({
      kind: 'internal',
      direction: 'internal',
      phone: '150',
      trunk: '',
      ringing: ['151'],
      answeredBy: '151',
      talkedWith: ['151'],
    });
    expect(renderCard('ringing', c, ctx).text).toBe(
      '<b>☎️ Внутренний звонок</b>\nЗвонит: Анна (150)\nКому: Иван &lt;Петров&gt; &amp; Co (151)',
    );
    expect(renderCard('final', c, ctx).text).toContain('✅ Успешный внутренний звонок');
    const missed = renderCard('final', { ...c, answered: false, talkedWith: [], answeredBy: null }, ctx);
    expect(missed.text).toContain('❌ Коллега не поднял трубку');
    expect(missed.disableNotification).toBe(true);
    // an internal call whose direction field says 'in' (department call 3-3) is still internal
    expect(renderCard('ringing', { ...c, direction: 'in' }, ctx).text).toContain('Внутренний звонок');
  });

  it('a mobile (FollowMe) that answered is shown as a formatted number', () => {
    const c = call({ answeredBy: '375290000002', talkedWith: ['375290000002'], mobiles: ['375290000002'] });
    expect(renderCard('final', c, ctx).text).toContain('Менеджер: +375 (29) 000-00-02 (мобильный)');
  });

  it('four ringing managers stay inline; five collapse into an expandable blockquote', () => {
    const four = renderCard('ringing', call({ ringing: ['150', '151', '152', '153'] }), ctx).text;
    expect(four).not.toContain('blockquote');
    const five = renderCard('ringing', call({ ringing: ['150', '151', '152', '153', '154'] }), ctx).text;
    expect(five).toContain(
      'Звонят (5):\n<blockquote expandable>Анна (150)\nИван &lt;Петров&gt; &amp; Co (151)\n152\n153\n154</blockquote>',
    );
  });

  it('never exceeds 4096 characters, however many long names ring', () => {
    const many = Array.from({ length: 400 }, (_, i) => String(1000 + i));
    const names = Object.fromEntries(many.map((e) => [e, '&<>'.repeat(40)]));
    const r = renderCard('ringing', call({ ringing: many }), {
      ...ctx,
      extensions: names,
      clientName: '<'.repeat(5000),
    });
    expect(r.text.length).toBeLessThanOrEqual(MAX_TEXT);
    expect(r.text).toMatch(/… и ещё \d+<\/blockquote>/);
    expect(r.text).not.toMatch(/&[a-z]*$/); // no entity cut in half
  });

  it('renders the same text for the same input (no pointless edits)', () => {
    expect(renderCard('talking', call(), ctx)).toEqual(renderCard('talking', call(), ctx));
  });
});

describe('finalKeyboard', () => {
  it('offers "Позвонить с <ext>" only with an extension, plus an optional details link', () => {
    expect(finalKeyboard({ extension: '151', callbackData: 'c:42' })).toEqual({
      inline_keyboard: [[{ text: 'Позвонить с 151', callback_data: 'c:42' }]],
    });
    expect(finalKeyboard({ extension: null, callbackData: 'c:42' })).toBeUndefined();
    expect(finalKeyboard({ extension: null, callbackData: 'c:1', detailsUrl: 'https://x/y' })).toEqual({
      inline_keyboard: [[{ text: 'Подробнее', url: 'https://x/y' }]],
    });
    expect(() => finalKeyboard({ extension: '151', callbackData: 'x'.repeat(65) })).toThrow(RangeError);
  });
});
