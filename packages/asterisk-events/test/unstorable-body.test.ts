// Regression: a host body PostgreSQL's jsonb cannot store (NUL, an unpaired surrogate, nesting
// thousands deep) passed validation, failed its whole group-commit batch and answered 503 — to its own
// host and to every other host whose event shared the batch. It is now a 400 with the reason.
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, validateHostBody } from '../src/index.ts';

const dial = { Token: 'T', UniqueId: '1757772742.60', Phone: '375440000001', CallType: 0, Extensions: ['151'] };

describe('validateHostBody refuses what cannot be stored', () => {
  it.each([
    ['NUL in a known field', { ...dial, Phone: '375\u0000440000001' }, 'NUL'],
    ['NUL in an unknown field', { ...dial, Extra: 'a\u0000' }, 'NUL'],
    ['NUL in a key', { ...dial, 'a\u0000': 1 }, 'key'],
    ['a lone high surrogate', { ...dial, CallerIDName: 'x\ud800' }, 'surrogate'],
    ['a lone low surrogate in a list', { ...dial, Extensions: ['\udfff'] }, 'surrogate'],
    [
      'nesting deeper than the limit',
      { ...dial, Extra: JSON.parse('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)) },
      'nested',
    ],
    [
      'nesting 20 000 deep',
      { ...dial, Extra: JSON.parse('{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)) },
      'nested',
    ],
  ])('%s → a reason', (_name, body, word) => {
    const v = validateHostBody('dial', body);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain(word);
  });

  it('still accepts what hosts send: emoji and Cyrillic names, flags, a list, shallow extras', () => {
    expect(
      validateHostBody('dial', {
        ...dial,
        CallerIDName: 'Иван 😀',
        ExternalInitiated: true,
        Extra: { a: [1, { b: 2 }] },
      }),
    ).toEqual({ ok: true });
  });
});
