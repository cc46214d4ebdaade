// PUT /retailcrm-admin/api/create-customers: the switch of customer creation for unknown numbers (issue
// 14). Switching on first asks RetailCRM which scopes the stored key has: a key without customer_write is
// refused here (422 with the missing scope), not at the first unknown caller.
import type { FastifyInstance } from 'fastify';
import { BadInputError, CustomerScopesMissingError, saveCreateCustomers } from '@fleet/retailcrm-admin';
import { missingScopesOfKey } from '../admin/scope-check.ts';
import { CUSTOMER_SCOPE_TITLES, missingCustomerScopes } from '../admin/scopes.ts';

export default async function adminCustomersRoutes(app: FastifyInstance): Promise<void> {
  app.put<{ Body: { enabled?: unknown } }>('/create-customers', async (request) => {
    const enterprise = request.adminSession!.enterprise;
    const enabled = request.body?.enabled;
    if (typeof enabled !== 'boolean') throw new BadInputError('enabled: нужно true или false');
    if (enabled) {
      const missing = await missingScopesOfKey(app, enterprise, missingCustomerScopes);
      if (missing.length)
        throw Object.assign(new CustomerScopesMissingError(missing.join(', ')), {
          details: { missing: missing.map((scope) => ({ scope, title: CUSTOMER_SCOPE_TITLES[scope] })) },
        });
    }
    await saveCreateCustomers(app.sql, enterprise, enabled);
    return { createCustomers: enabled };
  });
}
