// The admin page's switch of customer creation for unknown numbers (issue 14): off by default, stored
// merged into the RetailCRM settings, and refused with the missing scope when the API key cannot create
// customers — shown when the admin switches it on, not discovered at the first unknown caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminWorld, loggedIn, retailcrmSection } from './admin-helpers.ts';
import { KEY, type World } from './fixtures.ts';
import { missingCustomerScopes } from '../src/admin/scopes.ts';

const WITHOUT_CUSTOMERS = [
  'telephony_read',
  'telephony_write',
  'integration_read',
  'integration_write',
  'user_read',
  'customer_read',
];

describe('missingCustomerScopes', () => {
  it('reads `scopes` when sent, else the method listed (versioned or not)', () => {
    expect(missingCustomerScopes({ scopes: ['customer_write'], credentials: [] })).toEqual([]);
    expect(missingCustomerScopes({ scopes: ['customer_read'], credentials: [] })).toEqual(['customer_write']);
    expect(missingCustomerScopes({ credentials: ['/api/v5/customers/create'] })).toEqual([]);
    expect(missingCustomerScopes({ credentials: [] })).toEqual(['customer_write']);
  });
});

describe('PUT /create-customers with a key that has every scope', () => {
  let w: World;
  beforeAll(async () => {
    w = await createAdminWorld();
  });
  afterAll(() => w.close());

  it('is off by default; switched on and off it is stored merged, and the state shows it', async () => {
    const b = await loggedIn(w);
    expect((await b.api('GET', '/state')).json().createCustomers).toBe(false);
    const on = await b.api('PUT', '/create-customers', { enabled: true });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toEqual({ createCustomers: true });
    expect((await b.api('GET', '/state')).json().createCustomers).toBe(true);
    expect(await retailcrmSection(w.sql)).toMatchObject({ enabled: true, domain: w.baseUrl, create_customers: true });
    expect((await b.api('PUT', '/create-customers', { enabled: false })).json()).toEqual({ createCustomers: false });
    expect((await b.api('GET', '/state')).json().createCustomers).toBe(false);
  });

  it('bad values: 400 with the reason, nothing stored', async () => {
    const b = await loggedIn(w);
    const before = await retailcrmSection(w.sql);
    for (const body of [{}, { enabled: 'yes' }, { enabled: 1 }]) {
      const res = await b.api('PUT', '/create-customers', body);
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'RCRM_ADMIN_BAD_INPUT' });
      expect(res.json().message).toContain('enabled');
    }
    expect(await retailcrmSection(w.sql)).toEqual(before);
  });
});

describe('PUT /create-customers with a key without customer_write', () => {
  let w: World;
  beforeAll(async () => {
    w = await createAdminWorld({ apiKeys: [{ key: KEY, scopes: WITHOUT_CUSTOMERS }] });
  });
  afterAll(() => w.close());

  it('switching on is refused with 422 naming customer_write; nothing is stored; switching off still works', async () => {
    const b = await loggedIn(w);
    const res = await b.api('PUT', '/create-customers', { enabled: true });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'RCRM_ADMIN_CUSTOMER_SCOPES_MISSING',
      missing: [{ scope: 'customer_write', title: expect.any(String) }],
    });
    expect(res.json().message).toContain('customer_write');
    expect((await retailcrmSection(w.sql))!.create_customers).toBeUndefined();
    expect((await b.api('PUT', '/create-customers', { enabled: false })).statusCode).toBe(200);
  });
});
