// The limiter's promises, on a fake clock: a slot counts from its grant until a window after its
// ANSWER (so a delayed request never shares Telegram's window with a later one), a private chat has
// one request in flight and keeps its bucket measured from answers, a slot given back unused is as
// if never taken, a group has 20 messages in any minute, and a 429 pauses the whole bot (every chat,
// no other bot) for retry_after.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLimiter } from '../src/telegram/limiter.ts';

beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => void vi.useRealTimers());

/** Grants of `n` acquires as [index, ms since start], advancing the fake clock by `ms`. */
async function grantsWithin(ms: number, acquires: Promise<unknown>[]) {
  const start = Date.now();
  const at: (number | null)[] = acquires.map(() => null);
  acquires.forEach((p, i) => void p.then(() => (at[i] = Date.now() - start)));
  await vi.advanceTimersByTimeAsync(ms);
  return at;
}

describe('telegram limiter', () => {
  it('holds a bot slot until the answer, then a whole window', async () => {
    const l = createLimiter({ botPerSecond: 2, privatePerSecond: 100, privateBurst: 100, groupPerMinute: 100 });
    const [a, b] = await Promise.all([l.acquire('bot', -1), l.acquire('bot', -2)]);
    const third = l.acquire('bot', -3);
    expect(await grantsWithin(5000, [third])).toEqual([null]); // nobody answered: no slot frees by time alone
    a(); // the answer arrives now (t = 5000)
    expect(await grantsWithin(1100, [third])).toEqual([1001]);
    b(true); // b was never sent: its slot is free at once
    expect(await grantsWithin(10, [l.acquire('bot', -4)])).toEqual([0]);
  });

  it('keeps one request in flight per private chat and spaces them by the bucket from the answers', async () => {
    const l = createLimiter({ botPerSecond: 100, privatePerSecond: 1, privateBurst: 2, groupPerMinute: 100 });
    const first = await l.acquire('bot', 7);
    const second = l.acquire('bot', 7);
    expect(await grantsWithin(3000, [second])).toEqual([null]); // the first is still in flight
    first();
    const r2 = await second; // the burst allows it right after the answer
    r2();
    const third = l.acquire('bot', 7);
    // 3 requests in a bucket of 2 at 1/s: the third no earlier than 1 s after the FIRST answer.
    expect((await grantsWithin(2000, [third]))[0]).toBe(1001);
    expect(await grantsWithin(10, [l.acquire('bot', 8)])).toEqual([0]); // other chats are not held up
  });

  it('lets a group have 20 messages in any minute, the minute counted from each answer', async () => {
    const l = createLimiter({ botPerSecond: 1000, privatePerSecond: 100, privateBurst: 100, groupPerMinute: 20 });
    const twenty = await Promise.all(Array.from({ length: 20 }, () => l.acquire('bot', -100)));
    const more = [l.acquire('bot', -100), l.acquire('bot', -100)];
    expect(await grantsWithin(120_000, more)).toEqual([null, null]); // all 20 still in flight
    for (const r of twenty) r(); // their answers arrive now
    const other = l.acquire('bot', -200);
    expect(await grantsWithin(60_100, [...more, other])).toEqual([60_001, 60_001, 0]); // another group is not held up
  });

  it('pauses the whole bot for exactly retry_after on a 429, whichever chat drew it', async () => {
    const l = createLimiter({ botPerSecond: 100, privatePerSecond: 100, privateBurst: 100, groupPerMinute: 100 });
    l.pause('bot', 2); // the 429 came for chat 1; its answer does not say which limit (bot or chat) it was
    const [one, two, group] = await grantsWithin(3000, [
      l.acquire('bot', 1),
      l.acquire('bot', 2),
      l.acquire('bot', -3),
    ]);
    for (const g of [one, two, group]) {
      expect(g).toBeGreaterThanOrEqual(2000);
      expect(g).toBeLessThan(2100);
    }
    expect(await grantsWithin(10, [l.acquire('other-bot', 1)])).toEqual([0]); // other bots go on
  });
});
