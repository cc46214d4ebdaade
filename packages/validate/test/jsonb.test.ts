// What PostgreSQL's jsonb refuses although JSON.parse accepts it, named by where it is.
import { describe, expect, it } from 'vitest';
import { jsonbRefusal } from '../src/index.ts';

describe('jsonbRefusal', () => {
  it('accepts what jsonb stores, including paired surrogates (emoji) and Cyrillic', () => {
    expect(jsonbRefusal({ CallerIDName: 'Анна 📞', Extensions: ['151'], n: 1, ok: true, none: null })).toBeNull();
  });

  it('names the path of a NUL or an unpaired surrogate, in values and keys', () => {
    expect(jsonbRefusal({ raw: { CallerIDName: 'x\ud800y' } })).toBe(
      'raw.CallerIDName contains NUL or an unpaired surrogate',
    );
    expect(jsonbRefusal({ Extensions: ['a\u0000b'] })).toBe('Extensions[0] contains NUL or an unpaired surrogate');
    expect(jsonbRefusal({ raw: { ['k\udc00']: 1 } })).toBe('a key in raw contains NUL or an unpaired surrogate');
    expect(jsonbRefusal('\u0000')).toBe('the body contains NUL or an unpaired surrogate');
  });

  it('refuses nesting deeper than the limit', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(jsonbRefusal(deep)).toMatch(/is nested deeper than 32 levels$/);
    expect(jsonbRefusal(deep, 64)).toBeNull();
  });
});
