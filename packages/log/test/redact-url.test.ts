// Regression: RetailCRM's make-call and status callbacks are GETs with ?clientId=, makecallexternal
// takes ?clientId=<originate secret>: Fastify's "incoming request" line logged them in its URL. The
// fleet's request serializer now redacts secret query parameters, whatever their case or encoding.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logOptions, redactUrl } from '../src/index.ts';

describe('redactUrl', () => {
  it.each([
    ['/retailcrm/make-call?clientId=SECRET1&code=151', '/retailcrm/make-call?clientId=[redacted]&code=151'],
    ['/api/makecallexternal?code=151&CLIENTID=SECRET2', '/api/makecallexternal?code=151&CLIENTID=[redacted]'],
    ['/retailcrm-admin/auth?token=eyJ.SECRET3', '/retailcrm-admin/auth?token=[redacted]'],
    ['/x?client%49d=SECRET4&apiKey[]=SECRET5', '/x?client%49d=[redacted]&apiKey[]=[redacted]'],
    ['/x?%zz=1&phone=375', '/x?%zz=1&phone=375'],
    ['/start', '/start'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('is the request serializer of the fleet logger', () => {
    const lines: string[] = [];
    const log = pino(
      logOptions({ name: 't' }),
      new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
    );
    log.info(
      { req: { method: 'GET', url: '/retailcrm/make-call?clientId=SECRET6', ip: '127.0.0.1', socket: {} } },
      'incoming request',
    );
    expect(lines.join('')).not.toContain('SECRET6');
    expect(JSON.parse(lines[0]!).req).toMatchObject({
      method: 'GET',
      url: '/retailcrm/make-call?clientId=[redacted]',
      remoteAddress: '127.0.0.1',
    });
  });
});
