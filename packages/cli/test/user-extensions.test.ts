import { describe, expect, it } from 'vitest';
import { assignExtension, readUserExtensions } from '../src/user-extensions.ts';

describe('assignExtension', () => {
  it('adds a mapping', () => {
    expect(assignExtension({}, '18', '151')).toEqual({ map: { '18': '151' }, takenFrom: [] });
  });

  it('takes the extension from the user who had it: one extension, one user', () => {
    const a = assignExtension({ '18': '151', '19': '152' }, '20', '151');
    expect(a.map).toEqual({ '19': '152', '20': '151' });
    expect(a.takenFrom).toEqual(['18']);
  });

  it("replaces the user's previous extension and says so", () => {
    const a = assignExtension({ '18': '151' }, '18', '152');
    expect(a).toEqual({ map: { '18': '152' }, takenFrom: [], replaced: '151' });
  });

  it('re-mapping the same pair changes nothing', () => {
    expect(assignExtension({ '18': '151' }, '18', '151')).toEqual({ map: { '18': '151' }, takenFrom: [] });
  });

  it('does not mutate its input', () => {
    const current = { '18': '151' };
    assignExtension(current, '19', '151');
    expect(current).toEqual({ '18': '151' });
  });
});

describe('readUserExtensions', () => {
  it('tolerates absent or malformed stored values', () => {
    expect(readUserExtensions(null)).toEqual({});
    expect(readUserExtensions(['151'])).toEqual({});
    expect(readUserExtensions({ '18': 151, '19': '152', '20': { x: 1 } })).toEqual({ '18': '151', '19': '152' });
  });
});
