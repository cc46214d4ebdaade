// Tier 2: the one cached RetailCRM lookup per (enterprise, phone) of the process (callbacks/customer-lookup.ts),
// decorated so that getcustomerdata, make-call and the cards' caller identity share its entries.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createCustomerLookup, type CustomerLookup } from '../callbacks/customer-lookup.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Cached CUSTOMER_DATA_CACHE_MS per (enterprise, phone). @throws settings and RetailCRM errors */
    rcrmCustomerLookup: CustomerLookup;
  }
}

export const customerLookupPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('rcrmCustomerLookup', createCustomerLookup(app, { cacheMs: app.rcrmConfig.CUSTOMER_DATA_CACHE_MS }));
  },
  {
    name: 'retailcrm-customer-lookup',
    dependencies: ['retailcrm-core', 'retailcrm-crm', 'retailcrm-enterprises'],
  },
);
