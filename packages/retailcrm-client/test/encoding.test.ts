// Requests are encoded the only way RetailCRM accepts (shared/domain/retailcrm.md, transport rules):
// form fields whose values are JSON strings, the key in X-API-KEY. The strict fake refuses anything else.
import { afterEach, describe, expect, it } from 'vitest';
import { createRetailCrmClient, encodeForm, RetailCrmError, type UploadCall } from '../src/index.ts';
import { KEY, setup } from './helpers.ts';

let ctx: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  await ctx?.fake.close();
  ctx = undefined;
});

const CALL: UploadCall = {
  date: '2024-03-01 10:00:00',
  type: 'in',
  phone: '+375440000001',
  code: '151',
  userId: 18,
  result: 'no answer',
  duration: 0,
  durationWaiting: 12,
  externalId: 'call-1',
};

describe('form encoding', () => {
  it('puts each object parameter in ONE field holding JSON, never bracket fields', () => {
    const body = encodeForm({ event: { phone: '+375 44', type: 'in', codes: ['151'] }, skipped: undefined });
    expect(body).not.toContain('%5B' + 'phone'); // no event[phone]
    const parsed = new URLSearchParams(body);
    expect([...parsed.keys()]).toEqual(['event']);
    expect(JSON.parse(parsed.get('event')!)).toEqual({ phone: '+375 44', type: 'in', codes: ['151'] });
  });

  it('call/event and calls/upload reach the strict fake intact', async () => {
    ctx = await setup();
    await ctx.client.callEvent({
      phone: '+375440000001',
      type: 'in',
      codes: ['151'],
      userIds: [18],
      callExternalId: 'call-1',
    });
    await ctx.client.callEvent({
      phone: '+375440000001',
      type: 'hangup',
      hangupStatus: 'no answered',
      codes: ['151'],
      callExternalId: 'call-1',
    });
    const up = await ctx.client.uploadCalls([CALL]);
    expect(up).toEqual({ success: true, processedCallsCount: 1, duplicateCalls: [] });
    expect(ctx.fake.state.rejections).toEqual([]);
    expect(ctx.fake.state.events.map((e) => e.event)).toEqual([
      { phone: '+375440000001', type: 'in', codes: ['151'], userIds: [18], callExternalId: 'call-1' },
      { phone: '+375440000001', type: 'hangup', hangupStatus: 'no answered', codes: ['151'], callExternalId: 'call-1' },
    ]);
    expect(ctx.fake.state.uploads[0]?.call).toEqual(CALL);
    expect((await ctx.client.uploadCalls([CALL])).duplicateCalls).toEqual(['call-1']);
  });

  it('module edit, module read, users, manager and credentials', async () => {
    ctx = await setup({
      users: [
        { id: 18, firstName: 'Anna', active: true },
        { id: 19, active: false },
      ],
      managerByPhone: { '375440000001': 18 },
    });
    const module = {
      code: 'fleet',
      name: 'Fleet',
      logo: 'https://f.example/l.svg',
      baseUrl: 'https://f.example',
      clientId: 'cid-secret',
      integrations: {
        telephony: {
          additionalCodes: [
            { userId: 18, code: '151' },
            { userId: 99, code: '152' },
          ],
        },
      },
    };
    expect((await ctx.client.editIntegrationModule('fleet', module)).info).toEqual({ notExistUsersIds: [99] });
    const got = await ctx.client.getIntegrationModule('fleet');
    expect(got.integrationModule.integrations?.telephony?.additionalCodes).toEqual([{ userId: 18, code: '151' }]);
    const users = await ctx.client.users({ limit: 20, page: 1, filter: { active: true } });
    expect(users.users.map((u) => u.id)).toEqual([18]);
    expect((await ctx.client.responsibleManager('+375440000001')).manager).toMatchObject({ id: 18, code: '151' });
    const creds = await ctx.client.credentials();
    expect(creds.scopes).toContain('telephony_write');
    expect(creds.credentials).toContain('/api/telephony/call/event');
    expect(ctx.fake.state.rejections).toEqual([]);
  });

  it('a rejection is RCRM_REJECTED, permanent, with RetailCRM errorMsg and errors', async () => {
    ctx = await setup();
    const err = await ctx.client.callEvent({ phone: '1', type: 'in', codes: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetailCrmError);
    expect(err).toMatchObject({
      code: 'RCRM_REJECTED',
      transient: false,
      status: 400,
      errorMsg: 'Errors in the input parameters',
    });
    expect(ctx.exchanges).toHaveLength(1); // never retried
  });

  it('a wrong key is RCRM_UNAUTHORIZED, not retried', async () => {
    ctx = await setup({}, { apiKey: 'wrong-key-0000000000' });
    await expect(ctx.client.credentials()).rejects.toMatchObject({
      code: 'RCRM_UNAUTHORIZED',
      status: 403,
      transient: false,
      errorMsg: 'Wrong "apiKey" value.',
    });
    expect(ctx.exchanges).toHaveLength(1);
  });

  it('refuses 0 or 51 calls and a non-https domain before sending anything', async () => {
    ctx = await setup();
    await expect(ctx.client.uploadCalls([])).rejects.toMatchObject({ code: 'RCRM_INVALID_REQUEST' });
    await expect(ctx.client.uploadCalls(Array.from({ length: 51 }, () => CALL))).rejects.toMatchObject({
      code: 'RCRM_INVALID_REQUEST',
    });
    expect(ctx.exchanges).toHaveLength(0);
    expect(() => createRetailCrmClient({ domain: 'http://shop.retailcrm.ru', apiKey: KEY })).toThrow(/https/);
    expect(createRetailCrmClient({ domain: 'shop.retailcrm.ru', apiKey: KEY }).origin).toBe(
      'https://shop.retailcrm.ru',
    );
  });
});
