// A call the sweeper closed (no hangup from the PBX) says so on its final message, and only there.
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '@fleet/call-model';
import { renderCard, TIMEOUT_LINE, type RenderContext } from '../src/card.ts';

const ctx: RenderContext = { region: 'BY', timeZone: 'Europe/Minsk', extensions: {}, lines: {} };
const call = (closedByTimeout: boolean): CallSummary =>
  ({
    callId: 'c1',
    kind: 'customer',
    direction: 'in',
    phone: '375291234567',
    trunk: '0001363',
    ringing: ['150'],
    mobiles: [],
    status: 'ended',
    answered: false,
    answeredBy: null,
    talkedWith: [],
    result: 'no answer',
    startedAt: Date.UTC(2025, 8, 14, 9, 30, 5),
    answeredAt: null,
    endedAt: null,
    durationSec: 0,
    waitSec: 30,
    hostStartTime: '',
    hostEndTime: '',
    legs: [],
    mobileLegs: [],
    consultationLegs: [],
    originatedBy: null,
    closedByTimeout,
  }) as CallSummary;

describe('final message of a call closed by timeout', () => {
  it('carries the timeout line on the final stage only', () => {
    expect(renderCard('final', call(true), ctx).text).toContain(TIMEOUT_LINE);
    expect(renderCard('final', call(false), ctx).text).not.toContain(TIMEOUT_LINE);
    expect(renderCard('ringing', call(true), ctx).text).not.toContain(TIMEOUT_LINE);
  });
});
