// The fake refuses what RetailCRM refuses at the transport level: keys, encodings, rate limit, faults.
import { afterEach, describe, expect, it } from 'vitest';
import { KEY, makeFake } from './helpers.ts';

const EVENT = { phone: '+375440000001', type: 'in', codes: ['151'], callExternalId: 'c1' };
const CALL_EVENT = '/api/v5/telephony/call/event';
let f: ReturnType<typeof makeFake>;
afterEach(() => f?.fake.close());

describe('authentication', () => {
  it('answers 403 "apiKey" is missing without a key', async () => {
    f = makeFake();
    const res = await f.post(CALL_EVENT, { event: EVENT }, {});
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ success: false, errorMsg: '"apiKey" is missing.' });
    expect(f.fake.state.rejections[0]?.reason).toBe('missing_api_key');
  });

  it('answers 403 Wrong "apiKey" value. for an unknown key', async () => {
    f = makeFake();
    const res = await f.post(CALL_EVENT, { event: EVENT }, { 'x-api-key': 'nope' });
    expect(res.statusCode).toBe(403);
    expect(res.json().errorMsg).toBe('Wrong "apiKey" value.');
  });

  it('accepts the key as apiKey query parameter or form field too', async () => {
    f = makeFake();
    expect((await f.post(`${CALL_EVENT}?apiKey=${KEY}`, { event: EVENT }, {})).statusCode).toBe(200);
    expect((await f.post(CALL_EVENT, { event: EVENT, apiKey: KEY }, {})).statusCode).toBe(200);
    expect(f.fake.state.events).toHaveLength(2);
  });

  it('refuses a method outside the key scopes and lists the scopes in credentials', async () => {
    f = makeFake({ apiKeys: [{ key: KEY, scopes: ['user_read'] }] });
    const res = await f.post(CALL_EVENT, { event: EVENT });
    expect(res.statusCode).toBe(403);
    expect(f.fake.state.rejections[0]?.reason).toBe('scope');
    expect((await f.get('/api/credentials')).json()).toEqual({
      success: true,
      scopes: ['user_read'],
      credentials: ['/api/users'],
      siteAccess: 'access_full',
      sitesAvailable: ['main'],
    });
  });

  it('credentials answers like RetailCRM: scope names in `scopes`, unversioned method paths in `credentials`', async () => {
    f = makeFake();
    const all = (await f.get('/api/credentials')).json();
    expect(all.scopes).toEqual([
      'telephony_read',
      'telephony_write',
      'integration_read',
      'integration_write',
      'user_read',
      'task_read',
      'task_write',
      'customer_read',
      'customer_write',
    ]);
    expect([...all.credentials].sort()).toEqual([
      '/api/customers/create',
      '/api/integration-modules/{code}',
      '/api/integration-modules/{code}/edit',
      '/api/tasks',
      '/api/tasks/create',
      '/api/tasks/{id}',
      '/api/tasks/{id}/edit',
      '/api/telephony/call/event',
      '/api/telephony/calls/upload',
      '/api/telephony/manager',
      '/api/users',
    ]);
    await f.fake.close();
    f = makeFake({
      apiKeys: [{ key: KEY, scopes: ['integration_read', 'telephony_write'], withoutScopesField: true }],
    });
    const legacy = (await f.get('/api/credentials')).json();
    expect(legacy).not.toHaveProperty('scopes');
    expect([...legacy.credentials].sort()).toEqual([
      '/api/integration-modules/{code}',
      '/api/telephony/call/event',
      '/api/telephony/calls/upload',
    ]);
  });
});

describe('encoding', () => {
  it('reads a JSON body as an empty form: Parameter event is missing', async () => {
    f = makeFake();
    const res = await f.fake.app.inject({
      method: 'POST',
      url: CALL_EVENT,
      headers: { 'x-api-key': KEY },
      payload: { event: EVENT },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errorMsg).toBe("Parameter 'event' is missing");
    expect(f.fake.state.events).toHaveLength(0);
  });

  it('refuses bracket fields as non-scalar values', async () => {
    f = makeFake();
    const res = await f.fake.app.inject({
      method: 'POST',
      url: CALL_EVENT,
      headers: { 'x-api-key': KEY, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'event[phone]=375440000001&event[type]=in&event[codes][]=151',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errorMsg).toBe("Parameter 'event' contains a non-scalar value.");
  });

  it('refuses a field that is not JSON', async () => {
    f = makeFake();
    const res = await f.post(CALL_EVENT, { event: 'phone=1' });
    expect(res.statusCode).toBe(400);
    expect(f.fake.state.rejections[0]?.reason).toBe('invalid_json');
  });

  it('answers 404 API method not found for unknown methods', async () => {
    f = makeFake();
    const res = await f.get('/api/v5/telephony/nothing');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ success: false, errorMsg: 'API method not found' });
  });
});

describe('rate limit and faults', () => {
  it('answers 503 past 10 general requests per second and counts them per second', async () => {
    f = makeFake();
    const codes = [];
    for (let i = 0; i < 12; i++) codes.push((await f.get('/api/credentials')).statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(10);
    expect(codes.slice(10)).toEqual([503, 503]);
    expect(f.fake.state.requestsPerSecond.key0?.general.max).toBeGreaterThanOrEqual(10);
    expect(f.fake.state.rejections.every((r) => r.reason === 'rate_limit')).toBe(true);
  });

  it('allows 40 telephony requests per second, separately from the general budget', async () => {
    f = makeFake();
    const codes = [];
    for (let i = 0; i < 41; i++) codes.push((await f.post(CALL_EVENT, { event: EVENT })).statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(40);
    expect(codes[40]).toBe(503);
    expect((await f.get('/api/credentials')).statusCode).toBe(200);
  });

  it('injects deterministic 503s with Retry-After', async () => {
    f = makeFake({ faults: { fail503Next: 1, retryAfterSec: 2 } });
    const first = await f.post(CALL_EVENT, { event: EVENT });
    expect(first.statusCode).toBe(503);
    expect(first.headers['retry-after']).toBe('2');
    expect((await f.post(CALL_EVENT, { event: EVENT })).statusCode).toBe(200);
  });

  it('serves its state and resets it', async () => {
    f = makeFake();
    await f.post(CALL_EVENT, { event: EVENT });
    expect((await f.get('/_fake/state', {})).json().events).toHaveLength(1);
    await f.fake.app.inject({ method: 'POST', url: '/_fake/reset' });
    expect(f.fake.state.events).toHaveLength(0);
  });
});

describe('faults limited to a path', () => {
  it('fails only the calls/upload requests', async () => {
    f = makeFake({ faults: { fail503Next: 1, path: '/api/v5/telephony/calls/upload' } });
    expect((await f.post(CALL_EVENT, { event: EVENT })).statusCode).toBe(200);
    const call = { date: '2024-03-01 10:00:00', type: 'in', phone: '1', externalId: 'c1' };
    expect((await f.post('/api/v5/telephony/calls/upload', { calls: [call] })).statusCode).toBe(503);
    expect((await f.post('/api/v5/telephony/calls/upload', { calls: [call] })).statusCode).toBe(200);
  });
});
