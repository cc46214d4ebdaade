// onAttempt: the journal entry of an attempt is written before the attempt leaves, so that a process
// killed mid-request still has it on record; a journal that cannot write stops the attempt.
import { afterEach, describe, expect, it } from 'vitest';
import type { CallEvent, CrmAttempt } from '../src/index.ts';
import { setup } from './helpers.ts';

let ctx: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  await ctx?.fake.close();
  ctx = undefined;
});
const EVENT: CallEvent = { phone: '+375440000001', type: 'in', codes: ['151'], callExternalId: 'c1' };

describe('onAttempt', () => {
  it('is awaited before each attempt reaches RetailCRM, with the id its exchange later carries', async () => {
    const attempts: Array<CrmAttempt & { eventsAtTheCrm: number }> = [];
    ctx = await setup(
      { faults: { fail503Next: 1 } },
      {
        onAttempt: async (a) => {
          await new Promise((r) => setTimeout(r, 20)); // a slow journal still precedes the request
          attempts.push({ ...a, eventsAtTheCrm: ctx!.fake.state.events.length + ctx!.fake.state.rejections.length });
        },
      },
    );
    await expect(ctx.client.callEvent(EVENT)).resolves.toEqual({ success: true });
    expect(attempts.map((a) => [a.attempt, a.path, a.eventsAtTheCrm])).toEqual([
      [1, '/api/v5/telephony/call/event', 0],
      [2, '/api/v5/telephony/call/event', 1],
    ]);
    expect(attempts[0]!.request).toMatchObject({ event: EVENT });
    expect(ctx.exchanges.map((x) => x.attemptId)).toEqual(attempts.map((a) => a.attemptId));
    expect(new Set(attempts.map((a) => a.attemptId)).size).toBe(2);
  });

  it('a journal that cannot write cancels the attempt: RCRM_NOT_SENT, nothing reaches RetailCRM', async () => {
    ctx = await setup({}, { onAttempt: () => Promise.reject(new Error('database unreachable')) });
    await expect(ctx.client.callEvent(EVENT)).rejects.toMatchObject({ code: 'RCRM_NOT_SENT', transient: true });
    expect(ctx.fake.state.events).toHaveLength(0);
    expect(ctx.fake.state.rejections).toHaveLength(0);
    expect(ctx.exchanges).toHaveLength(0);
  });
});
