// A call answered only on a manager's mobile (FollowMe, scenario 2-5): the events carry the number
// alone, so the card names the manager only when the operator mapped the mobile (ctx.mobiles), and
// escapes that name like any other directory entry.
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '@fleet/call-model';
import { personLabel, renderCard, type RenderContext } from '../src/index.ts';

const MOBILE = '375290000002';
const ctx: RenderContext = {
  region: 'BY',
  timeZone: 'Europe/Minsk',
  extensions: { '151': 'Иван <Петров> & Co' },
  lines: {},
  mobiles: { [MOBILE]: 'Иван <Петров> & Co' },
};

/** 2-5's outcome (packages/call-model/test/expected-outcomes.json). */
const call: CallSummary = {
  callId: '1757773501.95',
  kind: 'customer',
  direction: 'in',
  phone: '375440000001',
  trunk: '0001363',
  ringing: ['150', '151', '152'],
  mobiles: [MOBILE],
  status: 'ended',
  answered: true,
  answeredBy: MOBILE,
  talkedWith: [MOBILE],
  result: 'answered',
  startedAt: Date.UTC(2025, 8, 13, 12, 0, 0),
  answeredAt: null,
  endedAt: null,
  durationSec: 42,
  waitSec: 9,
  hostStartTime: '',
  hostEndTime: '',
  legs: [],
  mobileLegs: [],
  consultationLegs: [],
  originatedBy: null,
  closedByTimeout: true,
};

describe('a mapped mobile shows its manager', () => {
  it('final message of 2-5: "Менеджер: <name> (мобильный)", escaped, no bare number', () => {
    const text = renderCard('final', call, ctx).text;
    expect(text).toContain('Менеджер: Иван &lt;Петров&gt; &amp; Co (мобильный)');
    expect(text).not.toContain('000-00-02');
  });

  it('the ringing card lists the mobile by name among the extensions', () => {
    const ringing = renderCard(
      'ringing',
      { ...call, status: 'ringing', answered: false, answeredBy: null, talkedWith: [] },
      ctx,
    ).text;
    expect(ringing).toContain(
      'Звонят: 150, Иван &lt;Петров&gt; &amp; Co (151), 152, Иван &lt;Петров&gt; &amp; Co (мобильный)',
    );
  });

  it('matches the mobile however the host spelled it; an unmapped mobile stays a formatted number', () => {
    expect(personLabel(`+${MOBILE}`, ctx)).toBe('Иван &lt;Петров&gt; &amp; Co (мобильный)');
    expect(personLabel('375290000009', ctx)).toBe('+375 (29) 000-00-09 (мобильный)');
    expect(personLabel(MOBILE, { ...ctx, mobiles: undefined })).toBe('+375 (29) 000-00-02 (мобильный)');
  });
});
