import { describe, expect, it } from 'vitest';
import { mask, renderTable } from '../src/format.ts';
import { enabledIntegrations } from '../src/commands/enterprise.ts';

describe('mask', () => {
  it('never shows a secret in full', () => {
    expect(mask('375291234567')).toBe('****4567');
    expect(mask('a'.repeat(32))).toBe('****aaaa');
    expect(mask('short')).toBe('****');
    expect(mask('12345678901')).toBe('****');
    expect(mask(undefined)).toBe('-');
  });
});

describe('renderTable', () => {
  it('pads columns to the widest cell', () => {
    expect(
      renderTable(
        ['A', 'BB'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
    ).toEqual(['A    BB', 'xyz  1', 'q    22']);
  });
});

describe('enabledIntegrations', () => {
  it('lists only integrations with enabled: true', () => {
    expect(enabledIntegrations({ retailcrm: { enabled: true }, telegram: { enabled: false }, x: 1 })).toBe('retailcrm');
    expect(enabledIntegrations({})).toBe('-');
  });
});
