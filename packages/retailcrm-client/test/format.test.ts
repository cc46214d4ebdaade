import { describe, expect, it } from 'vitest';
import { buildRecordUrl, formatCrmDate, parseCrmOrigin, parseRetryAfter, recordUrlOf } from '../src/index.ts';

describe('formatCrmDate', () => {
  it('formats Y-m-d H:i:s in the enterprise time zone', () => {
    const ms = Date.UTC(2024, 0, 31, 22, 5, 9);
    expect(formatCrmDate(ms, 'UTC')).toBe('2024-01-31 22:05:09');
    expect(formatCrmDate(ms, 'Europe/Minsk')).toBe('2024-02-01 01:05:09');
    expect(formatCrmDate(Date.UTC(2024, 6, 1, 0, 0, 0), 'Europe/Berlin')).toBe('2024-07-01 02:00:00');
    expect(formatCrmDate(Date.UTC(2024, 0, 1, 0, 0, 0), 'Europe/Berlin')).toBe('2024-01-01 01:00:00');
  });

  it('writes midnight as 00, never 24', () => {
    expect(formatCrmDate(Date.UTC(2024, 4, 5, 21, 0, 0), 'Europe/Moscow')).toBe('2024-05-06 00:00:00');
  });
});

describe('buildRecordUrl', () => {
  it('fills the placeholders URL-encoded', () => {
    expect(
      buildRecordUrl('https://rec.example/{enterprise}/{uniqueId}.mp3?c={callId}', {
        enterprise: '201',
        uniqueId: '1700000000.42',
        callId: 'a b',
      }),
    ).toBe('https://rec.example/201/1700000000.42.mp3?c=a%20b');
  });
  it('refuses a template that does not give an absolute URL', () => {
    expect(() => buildRecordUrl('/rec/{callId}', { enterprise: '1', uniqueId: '1', callId: '1' })).toThrow(/absolute/);
  });
});

describe('recordUrlOf (the CRM history and the Telegram final message)', () => {
  const T = 'https://rec.example/{enterprise}/{uniqueId}.mp3';
  it('fills the template with the call id for an answered call only', () => {
    expect(recordUrlOf(T, '201', { callId: '1700000000.42', answered: true })).toBe(
      'https://rec.example/201/1700000000.42.mp3',
    );
    expect(recordUrlOf(T, '201', { callId: '1700000000.42', answered: false })).toBeUndefined();
  });
  it('gives nothing without a template and refuses a bad one', () => {
    expect(recordUrlOf(undefined, '201', { callId: '1', answered: true })).toBeUndefined();
    expect(recordUrlOf('', '201', { callId: '1', answered: true })).toBeUndefined();
    expect(() => recordUrlOf('ftp://x/{callId}', '201', { callId: '1', answered: true })).toThrow(/http/);
  });
});

describe('parseCrmOrigin and parseRetryAfter', () => {
  it('accepts https and loopback http only', () => {
    expect(parseCrmOrigin('https://shop.retailcrm.ru/')).toBe('https://shop.retailcrm.ru');
    expect(parseCrmOrigin('http://127.0.0.1:8040')).toBe('http://127.0.0.1:8040');
    expect(parseCrmOrigin('http://localhost:8040')).toBe('http://localhost:8040');
    expect(() => parseCrmOrigin('http://shop.retailcrm.ru')).toThrow();
    expect(() => parseCrmOrigin('https://shop.retailcrm.ru/api/v5')).toThrow();
    expect(() => parseCrmOrigin('ftp://x')).toThrow();
  });
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
