// The fleet's one rule for "the same client number" (issue 14): every spelling a RetailCRM user or a host
// writes for one subscriber gives one national significant number.
import { describe, expect, it } from 'vitest';
import { internationalNumber, nationalNumber, samePhone } from '../src/national-number.ts';

describe('nationalNumber', () => {
  it.each([
    ['+375 (29) 123-45-67', '291234567'],
    ['375291234567', '291234567'],
    ['8 029 123 45 67', '291234567'],
    ['80291234567', '291234567'],
    ['00375291234567', '291234567'],
    ['0291234567', '291234567'],
    ['+7 916 123-45-67', '9161234567'],
    ['8 916 1234567', '9161234567'],
    ['+44 20 7946 0958', '442079460958'],
    ['', ''],
  ])('%s → %s', (phone, nsn) => expect(nationalNumber(phone)).toBe(nsn));

  it('samePhone: spellings of one subscriber match, short codes and empty numbers never do', () => {
    expect(samePhone('+375 29 123-45-67', '8 029 1234567')).toBe(true);
    expect(samePhone('375291234567', '375291234568')).toBe(false);
    expect(samePhone('151', '151')).toBe(false);
    expect(samePhone('', '')).toBe(false);
  });
});

describe('internationalNumber', () => {
  it.each([
    ['375291234567', '+375291234567'],
    ['+375 (29) 123-45-67', '+375291234567'],
    ['80291234567', '+375291234567'],
    ['8 029 123-45-67', '+375291234567'],
    ['0291234567', '+375291234567'],
    ['00375291234567', '+375291234567'],
    ['89161234567', '+79161234567'],
    ['7 916 123 45 67', '+79161234567'],
    ['442079460958', '+442079460958'],
    ['151', ''],
    ['', ''],
  ])('%s → %s', (phone, e164) => expect(internationalNumber(phone)).toBe(e164));

  it('keeps the subscriber: its national number is the original one', () => {
    for (const p of ['375291234567', '80291234567', '89161234567', '0291234567'])
      expect(nationalNumber(internationalNumber(p))).toBe(nationalNumber(p));
  });
});
