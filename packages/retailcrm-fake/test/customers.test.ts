// customers/create and telephony/manager?details=1: the customer an unknown caller becomes, and the one
// RetailCRM finds for a number typed in any format (+375…, 8 0…, spaces, dashes), with its links.
import { afterEach, describe, expect, it } from 'vitest';
import { nationalNumber, samePhone } from '../src/index.ts';
import { KEY, makeFake } from './helpers.ts';

const CREATE = '/api/v5/customers/create';
const MANAGER = '/api/v5/telephony/manager';
const USERS = [{ id: 18, firstName: 'Anna', lastName: 'K', email: 'anna@shop.by', active: true }];
const SMIRNOVA = {
  id: 501,
  externalId: 'c-501',
  firstName: 'Анна',
  lastName: 'Смирнова',
  phones: [{ number: '8 029 123-45-67' }],
  managerId: 18,
  lastOrderId: 9001,
};
let f: ReturnType<typeof makeFake>;
afterEach(() => f?.fake.close());
const manager = (phone: string, details = '1') =>
  f.get(`${MANAGER}?phone=${encodeURIComponent(phone)}&details=${details}`);

describe('national significant number', () => {
  it.each([
    ['+375 (29) 123-45-67', '291234567'],
    ['375291234567', '291234567'],
    ['8 029 123 45 67', '291234567'],
    ['80291234567', '291234567'],
    ['0291234567', '291234567'],
    ['00375291234567', '291234567'],
    ['+7 (916) 000-00-03', '9160000003'],
    ['8 916 000 00 03', '9160000003'],
    ['151', '151'],
  ])('%s → %s', (phone, nsn) => expect(nationalNumber(phone)).toBe(nsn));

  it('matches the same subscriber only, never short codes', () => {
    expect(samePhone('+375291234567', '8-029-123-45-67')).toBe(true);
    expect(samePhone('+375291234567', '+375291234568')).toBe(false);
    expect(samePhone('+7 916 000 00 03', '+375 916 000 003')).toBe(false);
    expect(samePhone('151', '151')).toBe(false);
  });
});

describe('customers/create', () => {
  it('creates a customer in the given store: 201 {success, id}, found by phone in another format', async () => {
    f = makeFake({ customers: [SMIRNOVA], sites: ['main', 'outlet'] });
    const res = await f.post(CREATE, { customer: { phones: [{ number: '+375447654321' }] }, site: 'outlet' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ success: true, id: 502 });
    const created = f.fake.customersWithPhone('8 044 765-43-21');
    expect(created).toMatchObject([
      { source: 'api', key: 'key0', customer: { id: 502, site: 'outlet', phones: [{ number: '+375447654321' }] } },
    ]);
    expect((await manager('80447654321')).json().customer).toEqual({ id: 502, phones: [{ number: '+375447654321' }] });
  });

  it('does not de-duplicate by phone (RetailCRM does not): a second create is a second customer', async () => {
    f = makeFake();
    await f.post(CREATE, { customer: { phones: [{ number: '+375447654321' }] } });
    await f.post(CREATE, { customer: { phones: [{ number: '8 044 765 43 21' }] } });
    expect(f.fake.customersWithPhone('+375447654321').map((c) => c.customer.id)).toEqual([1, 2]);
  });

  it('refuses what RetailCRM refuses: no customer field, a phone without number, a bad email, a repeated externalId', async () => {
    f = makeFake({ customers: [SMIRNOVA] });
    expect((await f.post(CREATE, {})).json()).toEqual({ success: false, errorMsg: "Parameter 'customer' is missing" });
    const res = await f.post(CREATE, { customer: { phones: [{ num: '+375447654321' }], email: 'nope' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      success: false,
      errorMsg: 'Customer is not loaded',
      errors: {
        'phones[0].number': 'This value should not be blank.',
        email: 'This value is not a valid email address.',
      },
    });
    expect((await f.post(CREATE, { customer: { externalId: 'c-501' }, site: 'main' })).json().errors).toHaveProperty(
      'externalId',
    );
    expect((await f.post(CREATE, { customer: { phones: [] }, site: 'nowhere' })).statusCode).toBe(400);
    expect(f.fake.state.customers).toHaveLength(1);
  });

  it('needs the customer_write scope', async () => {
    f = makeFake({ apiKeys: [{ key: KEY, scopes: ['telephony_read', 'customer_read'] }] });
    expect((await f.post(CREATE, { customer: { phones: [{ number: '+375447654321' }] } })).statusCode).toBe(403);
    expect(f.fake.state.rejections[0]?.reason).toBe('scope');
  });
});

describe('telephony/manager?details=1', () => {
  it('finds the customer whatever the format, with the responsible manager and the customer links', async () => {
    f = makeFake({
      users: USERS,
      customers: [SMIRNOVA],
      modules: {
        tel: { code: 'tel', integrations: { telephony: { additionalCodes: [{ userId: 18, code: '151' }] } } },
      },
    });
    for (const phone of ['+375291234567', '+375 (29) 123-45-67', '80291234567', '375-29-123-45-67']) {
      const res = await manager(phone);
      expect(res.json(), phone).toEqual({
        success: true,
        manager: { id: 18, firstName: 'Anna', lastName: 'K', email: 'anna@shop.by', code: '151' },
        customer: {
          id: 501,
          externalId: 'c-501',
          firstName: 'Анна',
          lastName: 'Смирнова',
          phones: [{ number: '8 029 123-45-67' }],
        },
        links: {
          newOrderLink: expect.stringMatching(/^http:\/\/localhost(:\d+)?\/orders\/add\?customerId=501$/),
          customerLink: expect.stringMatching(/\/customers\/501$/),
          lastOrderLink: expect.stringMatching(/\/orders\/9001\/edit$/),
        },
      });
    }
  });

  it('answers an unknown number without customer or manager, with links to create them', async () => {
    f = makeFake({ users: USERS, customers: [SMIRNOVA] });
    expect((await manager('+375 44 000-00-09')).json()).toEqual({
      success: true,
      links: {
        newOrderLink: expect.stringContaining('/orders/add?phone=%2B375%2044%20000-00-09'),
        newCustomerLink: expect.stringContaining('/customers/add?phone=%2B375%2044%20000-00-09'),
      },
    });
  });

  it('without details answers the manager only', async () => {
    f = makeFake({ users: USERS, customers: [SMIRNOVA] });
    expect((await manager('+375291234567', '0')).json()).toEqual({
      success: true,
      manager: { id: 18, firstName: 'Anna', lastName: 'K', email: 'anna@shop.by' },
    });
  });

  it('answers a customerByPhone customer as given (plus id and phones), matched in any format', async () => {
    f = makeFake({ customerByPhone: { '+375440000001': { fullName: 'ООО "Рога и копыта"' } } });
    expect((await manager('8 044 000-00-01')).json().customer).toEqual({
      fullName: 'ООО "Рога и копыта"',
      id: 1,
      phones: [{ number: '+375440000001' }],
    });
  });

  it('a reset brings back the seeded customers only', async () => {
    f = makeFake({ customers: [SMIRNOVA] });
    await f.post(CREATE, { customer: { phones: [{ number: '+375447654321' }] } });
    f.fake.reset();
    expect(f.fake.state.customers.map((c) => [c.source, c.customer.id])).toEqual([['seed', 501]]);
  });
});
