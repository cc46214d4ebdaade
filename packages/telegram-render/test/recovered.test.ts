// A call recovered from the host's post log says so on its final message, and only there.
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '@fleet/call-model';
import { RECOVERED_LINE, renderCard } from '../src/index.ts';

const ctx = { region: 'BY', timeZone: 'Europe/Minsk', extensions: {}, lines: {} };
const call = {
  callId: '1757000001.60',
  kind: 'customer',
  direction: 'in',
  phone: '375440000001',
  trunk: '0001363',
  ringing: ['151'],
  mobiles: [],
  answered: true,
  answeredBy: '151',
  talkedWith: ['151'],
  status: 'ended',
  startedAt: Date.UTC(2025, 8, 13, 14, 12, 0),
  durationSec: 42,
  waitSec: 5,
} as unknown as CallSummary;

describe('recovered calls', () => {
  it('the final ends with the recovered line', () => {
    const text = renderCard('final', { ...call, recovered: true }, ctx).text;
    expect(text.split('\n').at(-1)).toBe(RECOVERED_LINE);
    expect(RECOVERED_LINE).toContain('Восстановлено');
  });
  it('a live call and a live card of a recovered call do not show it', () => {
    expect(renderCard('final', call, ctx).text).not.toContain(RECOVERED_LINE);
    expect(renderCard('talking', { ...call, status: 'talking', recovered: true }, ctx).text).not.toContain(
      RECOVERED_LINE,
    );
  });
});
