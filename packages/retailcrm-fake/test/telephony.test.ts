// call/event, calls/upload and telephony/manager validate like RetailCRM (shared/domain/retailcrm.md).
import { afterEach, describe, expect, it } from 'vitest';
import { summarize } from '../src/index.ts';
import { makeFake } from './helpers.ts';

const CALL_EVENT = '/api/v5/telephony/call/event';
const UPLOAD = '/api/v5/telephony/calls/upload';
const EVENT = { phone: '+375440000001', type: 'in', codes: ['151'], callExternalId: 'c1' };
const CALL = {
  date: '2024-03-01 10:00:00',
  type: 'in',
  phone: '+375440000001',
  result: 'answered',
  code: '151',
  duration: 30,
  durationWaiting: 5,
  externalId: 'c1',
};
let f: ReturnType<typeof makeFake>;
afterEach(() => f?.fake.close());

describe('call/event', () => {
  it.each([
    ['missing phone', { type: 'in', codes: ['151'] }, 'phone'],
    ['unknown type', { ...EVENT, type: 'incoming' }, 'type'],
    [
      'hangupStatus "no answer" (the event says "no answered")',
      { ...EVENT, type: 'hangup', hangupStatus: 'no answer' },
      'hangupStatus',
    ],
    ['hangupStatus missed', { ...EVENT, type: 'hangup', hangupStatus: 'missed' }, 'hangupStatus'],
    ['neither codes nor userIds', { phone: '1', type: 'in', codes: [], userIds: [] }, 'codes'],
    ['a hangup without codes or userIds', { phone: '1', type: 'hangup', hangupStatus: 'answered' }, 'codes'],
  ])('rejects %s', async (_name, event, field) => {
    f = makeFake();
    const res = await f.post(CALL_EVENT, { event });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toHaveProperty(field);
    expect(f.fake.state.events).toHaveLength(0);
    expect(f.fake.state.rejections[0]?.reason).toBe('validation');
  });

  it('accepts in/out/hangup and reports codes no module knows', async () => {
    f = makeFake({
      modules: {
        tel: { code: 'tel', integrations: { telephony: { additionalCodes: [{ userId: 18, code: '151' }] } } },
      },
    });
    expect((await f.post(CALL_EVENT, { event: EVENT })).json()).toEqual({ success: true });
    const res = await f.post(CALL_EVENT, {
      event: { ...EVENT, type: 'hangup', hangupStatus: 'no answered', codes: ['151', '999'] },
    });
    expect(res.json()).toEqual({ success: true, notExistCodes: ['999'] });
    expect(f.fake.state.events.map((e) => e.event.type)).toEqual(['in', 'hangup']);
  });
});

describe('calls/upload', () => {
  it.each([
    ['result missed', { ...CALL, result: 'missed' }, 'calls[0].result'],
    ['a date with T', { ...CALL, date: '2024-03-01T10:00:00' }, 'calls[0].date'],
    ['an impossible date', { ...CALL, date: '2024-02-30 10:00:00' }, 'calls[0].date'],
    ['type hangup', { ...CALL, type: 'hangup' }, 'calls[0].type'],
    ['a relative recordUrl', { ...CALL, recordUrl: '/rec/1.mp3' }, 'calls[0].recordUrl'],
    ['a missing phone', { ...CALL, phone: '' }, 'calls[0].phone'],
  ])('rejects %s', async (_name, call, field) => {
    f = makeFake();
    const res = await f.post(UPLOAD, { calls: [call] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toHaveProperty([field]);
    expect(f.fake.state.uploads).toHaveLength(0);
  });

  it('takes 1..50 calls', async () => {
    f = makeFake();
    expect((await f.post(UPLOAD, { calls: [] })).statusCode).toBe(400);
    const many = Array.from({ length: 51 }, (_, i) => ({ ...CALL, externalId: `c${i}` }));
    expect((await f.post(UPLOAD, { calls: many })).statusCode).toBe(400);
    expect((await f.post(UPLOAD, { calls: many.slice(0, 50) })).json()).toMatchObject({ processedCallsCount: 50 });
  });

  it('de-duplicates on externalId and lists repeats in duplicateCalls', async () => {
    f = makeFake();
    expect((await f.post(UPLOAD, { calls: [CALL] })).json()).toEqual({
      success: true,
      processedCallsCount: 1,
      duplicateCalls: [],
    });
    const again = await f.post(UPLOAD, { calls: [CALL, { ...CALL, externalId: 'c2' }] });
    expect(again.json()).toEqual({ success: true, processedCallsCount: 1, duplicateCalls: ['c1'] });
    expect(f.fake.state.uploads.map((u) => u.call.externalId)).toEqual(['c1', 'c2']);
    expect(f.fake.state.duplicateUploads).toBe(1);
  });

  it('summarizes events and history per call', async () => {
    f = makeFake();
    await f.post(CALL_EVENT, { event: EVENT });
    await f.post(UPLOAD, { calls: [CALL] });
    const text = summarize(f.fake.state);
    expect(text).toContain('call c1:');
    expect(text).toContain('event in +375440000001 → ext 151');
    expect(text).toContain('history 2024-03-01 10:00:00 in +375440000001 answered ext 151');
  });
});

describe('telephony/manager', () => {
  it('names the responsible manager with the extension from the module, or none', async () => {
    f = makeFake({
      users: [{ id: 18, firstName: 'Anna', lastName: 'K', active: true }],
      managerByPhone: { '375440000001': 18 },
      modules: {
        tel: { code: 'tel', integrations: { telephony: { additionalCodes: [{ userId: 18, code: '151' }] } } },
      },
    });
    const res = await f.get('/api/v5/telephony/manager?phone=%2B375%20(44)%20000-00-01');
    expect(res.json()).toEqual({ success: true, manager: { id: 18, firstName: 'Anna', lastName: 'K', code: '151' } });
    expect((await f.get('/api/v5/telephony/manager?phone=111')).json()).toEqual({ success: true });
    expect((await f.get('/api/v5/telephony/manager')).statusCode).toBe(400);
  });
});
