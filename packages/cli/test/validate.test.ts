import { describe, expect, it } from 'vitest';
import * as v from '../src/validate.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('argument validators', () => {
  it('retailcrm domain: https anywhere, trailing slashes stripped', () => {
    expect(v.retailcrmDomain('https://shop.retailcrm.ru/')).toBe('https://shop.retailcrm.ru');
    expect(v.retailcrmDomain('https://crm.example.com//')).toBe('https://crm.example.com');
    expect(v.retailcrmDomain('HTTPS://Shop.RetailCRM.ru')).toBe('https://shop.retailcrm.ru');
  });

  it('retailcrm domain: plain http only for loopback hosts', () => {
    expect(v.retailcrmDomain('http://127.0.0.1:8040/')).toBe('http://127.0.0.1:8040');
    expect(v.retailcrmDomain('http://localhost:8040')).toBe('http://localhost:8040');
    expect(v.retailcrmDomain('http://[::1]:8040')).toBe('http://[::1]:8040');
    for (const bad of [
      'http://shop.retailcrm.ru',
      'http://127.0.0.2',
      'http://localhost.evil.com',
      'ftp://x.ru',
      'https://u:p@x.ru',
      'https://x.ru/?apiKey=1',
    ]) {
      expect(
        code(() => v.retailcrmDomain(bad)),
        bad,
      ).toBe('FLEET_CLI_USAGE');
    }
  });

  it('retailcrm domain: the rule the runtime applies (regression: https://host/path was stored, then refused at runtime)', () => {
    expect(code(() => v.retailcrmDomain('https://shop.retailcrm.ru/api/v5'))).toBe('FLEET_CLI_USAGE');
    expect(code(() => v.retailcrmDomain(`https://${'x'.repeat(64)}.ru`))).toBe('FLEET_CLI_USAGE');
    // A bare host is the account's https origin, as the runtime and the admin page read it.
    expect(v.retailcrmDomain('shop.retailcrm.ru')).toBe('https://shop.retailcrm.ru');
  });

  it('time zone: valid IANA zones are canonicalised, others refused', () => {
    expect(v.timeZone('Europe/Minsk')).toBe('Europe/Minsk');
    expect(v.timeZone('europe/moscow')).toBe('Europe/Moscow');
    expect(code(() => v.timeZone('Mars/Olympus'))).toBe('FLEET_CLI_USAGE');
    expect(code(() => v.timeZone(''))).toBe('FLEET_CLI_USAGE');
  });

  it('enterprise number, token, region, name', () => {
    expect(v.enterpriseNumber('0367')).toBe('0367');
    expect(code(() => v.enterpriseNumber('12a'))).toBe('FLEET_CLI_USAGE');
    expect(code(() => v.enterpriseNumber('1'.repeat(17)))).toBe('FLEET_CLI_USAGE');
    expect(v.hostToken('375291234567')).toBe('375291234567');
    expect(v.hostToken('x'.repeat(128))).toHaveLength(128);
    expect(code(() => v.hostToken('x'.repeat(129)))).toBe('FLEET_CLI_USAGE');
    expect(code(() => v.hostToken(''))).toBe('FLEET_CLI_USAGE');
    expect(code(() => v.hostToken('a b'))).toBe('FLEET_CLI_USAGE');
    expect(v.phoneRegion('ru')).toBe('RU');
    expect(code(() => v.phoneRegion('RUS'))).toBe('FLEET_CLI_USAGE');
    expect(v.enterpriseName('  Shop  ')).toBe('Shop');
    expect(code(() => v.enterpriseName('   '))).toBe('FLEET_CLI_USAGE');
  });

  it('user id is a positive integer, extension 2..6 digits', () => {
    expect(v.userId('18')).toBe('18');
    expect(v.userId('018')).toBe('18');
    for (const bad of ['0', '-1', '1.5', 'abc', ''])
      expect(
        code(() => v.userId(bad)),
        bad,
      ).toBe('FLEET_CLI_USAGE');
    expect(v.extension('15')).toBe('15');
    expect(v.extension('150000')).toBe('150000');
    for (const bad of ['1', '1234567', 'SIP/150', '15a'])
      expect(
        code(() => v.extension(bad)),
        bad,
      ).toBe('FLEET_CLI_USAGE');
  });

  it('booleans are exactly true or false', () => {
    expect(v.bool('true', 'active')).toBe(true);
    expect(v.bool('false', 'active')).toBe(false);
    expect(code(() => v.bool('yes', 'active'))).toBe('FLEET_CLI_USAGE');
  });

  it('record url template must be an absolute http(s) URL', () => {
    expect(v.recordUrlTemplate('https://rec.example.com/{uniqueId}.mp3')).toBe(
      'https://rec.example.com/{uniqueId}.mp3',
    );
    expect(code(() => v.recordUrlTemplate('/rec/{uniqueId}'))).toBe('FLEET_CLI_USAGE');
  });
});
