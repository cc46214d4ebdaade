import { describe, expect, it } from 'vitest';
import { backoffMs } from '../src/index.ts';

describe('backoffMs', () => {
  it('starts at firstMs, doubles per retry and stops at maxMs', () => {
    const o = { firstMs: 500, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffMs(n, o))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('treats attempts below 1 as the first and never overflows', () => {
    const o = { firstMs: 1000, maxMs: 60_000 };
    expect(backoffMs(0, o)).toBe(1000);
    expect(backoffMs(-5, o)).toBe(1000);
    expect(backoffMs(Number.MAX_SAFE_INTEGER, o)).toBe(60_000);
  });

  it('spreads by ±jitter around the capped delay, ends included', () => {
    const o = { firstMs: 500, maxMs: 30_000, jitter: 0.2 };
    expect(backoffMs(1, { ...o, random: () => 0 })).toBeCloseTo(400);
    expect(backoffMs(1, { ...o, random: () => 0.5 })).toBeCloseTo(500);
    expect(backoffMs(1, { ...o, random: () => 0.999999 })).toBeCloseTo(600, 2);
    expect(backoffMs(50, { ...o, random: () => 0.999999 })).toBeCloseTo(36_000, 0);
    const seen = Array.from({ length: 2000 }, () => backoffMs(3, o));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(1600);
    expect(Math.max(...seen)).toBeLessThan(2400);
  });

  it('refuses options that would make no sense', () => {
    expect(() => backoffMs(1, { firstMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => backoffMs(1, { firstMs: 10, maxMs: Number.NaN })).toThrow(RangeError);
    expect(() => backoffMs(1, { firstMs: 10, maxMs: 100, jitter: 1.5 })).toThrow(RangeError);
  });
});
