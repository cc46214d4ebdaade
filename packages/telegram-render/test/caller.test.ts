// The caller's identity on a card (issue 14 item 2): the customer's name escaped, «новый клиент» for a
// number RetailCRM does not know, nothing when RetailCRM did not answer; and the URL buttons «Клиент» /
// «Последний заказ» / «Новый заказ», only with http(s) URLs Telegram accepts on a button.
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '@fleet/call-model';
import {
  buttonUrl,
  finalKeyboard,
  liveKeyboard,
  MAX_TEXT,
  renderCard,
  type CallerIdentity,
  type RenderContext,
} from '../src/index.ts';

const ctx: RenderContext = { region: 'BY', timeZone: 'Europe/Minsk', extensions: { '151': 'Иван' }, lines: {} };

function call(over: Partial<CallSummary> = {}): CallSummary {
  return {
    callId: '1757772742.60',
    kind: 'customer',
    direction: 'in',
    phone: '375291234567',
    trunk: null,
    ringing: ['151'],
    mobiles: [],
    status: 'ringing',
    answered: false,
    answeredBy: null,
    talkedWith: [],
    result: null,
    startedAt: Date.UTC(2025, 8, 14, 9, 30, 5),
    answeredAt: null,
    endedAt: null,
    durationSec: null,
    waitSec: null,
    ...over,
  } as CallSummary;
}

const CRM = 'https://shop.retailcrm.ru';
const anna: CallerIdentity = {
  known: true,
  name: 'Анна <Смирнова> & "Ко"',
  links: {
    customer: `${CRM}/customers/7`,
    lastOrder: `${CRM}/orders/42/edit`,
    newOrder: `${CRM}/orders/add?customerId=7`,
  },
};

const clientLine = (c: RenderContext) => renderCard('ringing', call(), c).text.split('\n')[1];

describe('the client line', () => {
  it('a known customer: the name, HTML-escaped', () => {
    expect(clientLine({ ...ctx, caller: anna })).toBe(
      'Клиент: <b>+375 (29) 123-45-67</b> — Анна &lt;Смирнова&gt; &amp; &quot;Ко&quot;',
    );
  });

  it('an unknown number: «новый клиент»', () => {
    expect(clientLine({ ...ctx, caller: { known: false } })).toBe('Клиент: <b>+375 (29) 123-45-67</b> — новый клиент');
  });

  it('no answer from RetailCRM (null) shows the number alone, as before', () => {
    expect(clientLine({ ...ctx, caller: null })).toBe('Клиент: <b>+375 (29) 123-45-67</b>');
    expect(clientLine(ctx)).toBe('Клиент: <b>+375 (29) 123-45-67</b>');
  });

  it('a known customer without a name shows the number alone; whitespace and newlines collapse', () => {
    expect(clientLine({ ...ctx, caller: { known: true, name: '  ' } })).toBe('Клиент: <b>+375 (29) 123-45-67</b>');
    expect(clientLine({ ...ctx, caller: { known: true, name: 'Анна\n\nСмирнова' } })).toBe(
      'Клиент: <b>+375 (29) 123-45-67</b> — Анна Смирнова',
    );
  });

  it('a long name is clipped before escaping (no entity cut in half); the text stays within 4096', () => {
    const line = clientLine({ ...ctx, caller: { known: true, name: '&'.repeat(5000) } })!;
    expect(line).toBe(`Клиент: <b>+375 (29) 123-45-67</b> — ${'&amp;'.repeat(99)}…`);
    const many = Array.from({ length: 400 }, (_, i) => String(1000 + i));
    const r = renderCard('ringing', call({ ringing: many }), {
      ...ctx,
      extensions: Object.fromEntries(many.map((e) => [e, '<'.repeat(100)])),
      caller: { known: true, name: '<'.repeat(5000) },
    });
    expect(r.text.length).toBeLessThanOrEqual(MAX_TEXT);
  });

  it('on the final too, in every stage; internal calls never show a caller', () => {
    for (const stage of ['greeting', 'ringing', 'talking', 'final'] as const)
      expect(renderCard(stage, call(), { ...ctx, caller: anna }).text).toContain('— Анна &lt;Смирнова&gt;');
    const internal = call({ kind: 'internal', phone: '150', ringing: ['151'] });
    expect(renderCard('ringing', internal, { ...ctx, caller: anna }).text).not.toContain('Анна');
  });
});

describe('the CRM buttons', () => {
  it('a known customer: «Клиент», «Последний заказ», «Новый заказ» in one row on a live card', () => {
    expect(liveKeyboard(anna)).toEqual({
      inline_keyboard: [
        [
          { text: 'Клиент', url: `${CRM}/customers/7` },
          { text: 'Последний заказ', url: `${CRM}/orders/42/edit` },
          { text: 'Новый заказ', url: `${CRM}/orders/add?customerId=7` },
        ],
      ],
    });
  });

  it('an unknown number: only «Новый заказ» (there is no card or order yet)', () => {
    const unknown: CallerIdentity = {
      known: false,
      links: { newOrder: `${CRM}/orders/add?phone=375291234567`, newCustomer: `${CRM}/customers/add?phone=1` },
    };
    expect(liveKeyboard(unknown)).toEqual({
      inline_keyboard: [[{ text: 'Новый заказ', url: `${CRM}/orders/add?phone=375291234567` }]],
    });
  });

  it('no identity or no links: no keyboard', () => {
    expect(liveKeyboard(null)).toBeUndefined();
    expect(liveKeyboard({ known: true, name: 'Анна' })).toBeUndefined();
  });

  it('a final: "Позвонить с" in the first row, the CRM buttons in the second', () => {
    expect(finalKeyboard({ extension: '151', callbackData: 'call:9', caller: anna })?.inline_keyboard).toEqual([
      [{ text: 'Позвонить с 151', callback_data: 'call:9' }],
      [
        { text: 'Клиент', url: `${CRM}/customers/7` },
        { text: 'Последний заказ', url: `${CRM}/orders/42/edit` },
        { text: 'Новый заказ', url: `${CRM}/orders/add?customerId=7` },
      ],
    ]);
    expect(finalKeyboard({ extension: null, callbackData: 'call:9', caller: anna })?.inline_keyboard).toHaveLength(1);
  });

  it('only absolute http(s) URLs of sane length go on a button (Telegram refuses the message otherwise)', () => {
    for (const bad of [
      'javascript:alert(1)',
      'tg://resolve?domain=x',
      '/customers/7',
      'ftp://shop.example/x',
      'data:text/html,<b>',
      `https://shop.example/${'x'.repeat(1100)}`,
      '',
      42,
      null,
    ])
      expect(buttonUrl(bad)).toBeNull();
    expect(buttonUrl('http://127.0.0.1:4000/customers/7')).toBe('http://127.0.0.1:4000/customers/7');
    const mixed: CallerIdentity = {
      known: true,
      name: 'Анна',
      links: { customer: 'javascript:alert(1)', lastOrder: 'not a url', newOrder: `${CRM}/orders/add` },
    };
    expect(liveKeyboard(mixed)).toEqual({ inline_keyboard: [[{ text: 'Новый заказ', url: `${CRM}/orders/add` }]] });
  });
});
