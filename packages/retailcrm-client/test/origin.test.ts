// The one rule for a RetailCRM address (src/origin.ts), used by the admin page, `fleet retailcrm set`
// and the runtime. Regression: the CLI accepted https://host/path, which the runtime then refused.
import { describe, expect, it } from 'vitest';
import { checkCrmOrigin, parseCrmOrigin } from '../src/origin.ts';

const refused = (d: string) => {
  const r = checkCrmOrigin(d);
  return 'refused' in r ? r.refused : r.origin;
};

describe('checkCrmOrigin / parseCrmOrigin', () => {
  it('gives the lower-cased origin of a bare host or an https URL with trailing slashes', () => {
    expect(parseCrmOrigin('shop.retailcrm.ru')).toBe('https://shop.retailcrm.ru');
    expect(parseCrmOrigin('https://shop.retailcrm.ru/')).toBe('https://shop.retailcrm.ru');
    expect(parseCrmOrigin('HTTPS://Shop.RetailCRM.ru//')).toBe('https://shop.retailcrm.ru');
    expect(parseCrmOrigin('https://crm.example.com:8443')).toBe('https://crm.example.com:8443');
  });

  it('plain http only for loopback hosts', () => {
    expect(parseCrmOrigin('http://127.0.0.1:8040')).toBe('http://127.0.0.1:8040');
    expect(parseCrmOrigin('http://localhost:8040')).toBe('http://localhost:8040');
    expect(parseCrmOrigin('http://[::1]:8040')).toBe('http://[::1]:8040');
    expect(refused('http://shop.retailcrm.ru')).toBe('not_https');
    expect(refused('http://127.0.0.2')).toBe('not_https');
    expect(refused('http://localhost.evil.com')).toBe('not_https');
    expect(refused('ftp://x.ru')).toBe('not_https');
  });

  it('refuses a path, query, fragment or credentials: the key goes to the account origin only', () => {
    for (const d of [
      'https://shop.retailcrm.ru/api',
      'https://shop.retailcrm.ru/api/v5',
      'https://u:p@shop.retailcrm.ru',
      'https://shop.retailcrm.ru/?apiKey=1',
      'https://x.ru/#a',
    ]) {
      expect(refused(d), d).toBe('has_path');
    }
    expect(() => parseCrmOrigin('https://shop.retailcrm.ru/api/v5')).toThrow(
      expect.objectContaining({ code: 'RCRM_INVALID_REQUEST' }),
    );
  });

  it('refuses what is no address and what DNS cannot hold', () => {
    expect(refused('https://')).toBe('not_url');
    expect(refused('https://exa mple.com')).toBe('not_url');
    expect(refused(`https://${'x'.repeat(64)}.ru`)).toBe('too_long');
    expect(refused(`https://${Array.from({ length: 7 }, () => 'y'.repeat(40)).join('.')}.ru`)).toBe('too_long');
    expect(refused(`https://${'x'.repeat(63)}.ru`)).toBe(`https://${'x'.repeat(63)}.ru`);
  });
});
