// POST customers/create (issue 14: a customer for an unknown caller). `customer` JSON + optional `site`
// form field (api-client-go's CustomerCreate(customer, site)); answers 201 {success, id}. RetailCRM does
// not de-duplicate by phone: a second create makes a second customer (state.customers shows both).
import type { FastifyInstance } from 'fastify';
import { jsonField, reject } from '../guard.ts';
import type { FakeContext } from '../context.ts';
import { crmDateTime } from '../crm-time.ts';
import { nextCustomerId } from '../customers.ts';
import type { CrmCustomer } from '../state.ts';
import { CUSTOMER_INVALID, validateCustomer } from '../validate-entities.ts';

export function customerRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.post(
    '/api/v5/customers/create',
    { config: { crm: { bucket: 'general', scope: 'customer_write' } } },
    (req, reply) => {
      const fields = jsonField(ctx, req, reply, 'customer');
      if (fields === undefined) return reply;
      const rawSite = ((req.body ?? {}) as Record<string, unknown>).site;
      const site = rawSite === undefined || rawSite === '' ? undefined : String(rawSite);
      if (site !== undefined && !ctx.sites.includes(site)) {
        // Wording unconfirmed (?): a store code the key cannot use.
        return reject(ctx, req, reply, 400, 'validation', 'Errors in the input parameters', {
          site: `Site "${site}" not found.`,
        });
      }
      const errors = validateCustomer(fields);
      const c = fields as Record<string, unknown>;
      if (typeof c.managerId === 'number' && ctx.users && !ctx.users.some((u) => u.id === c.managerId))
        errors.managerId = 'User not found.';
      // externalId is unique within a store (the repeat of a create that carried one is refused) (?).
      const store = site ?? ctx.sites[0];
      if (
        typeof c.externalId === 'string' &&
        ctx.state.customers.some((s) => s.customer.externalId === c.externalId && s.customer.site === store)
      )
        errors.externalId = 'Customer with this externalId already exists.';
      if (Object.keys(errors).length) return reject(ctx, req, reply, 400, 'validation', CUSTOMER_INVALID, errors);
      const now = Date.now();
      const { id: _ignoredId, ...rest } = c;
      const customer = {
        ...rest,
        id: nextCustomerId(ctx.state),
        type: 'customer',
        site: store,
        createdAt: crmDateTime(now, ctx.timeZone),
        phones: ((c.phones ?? []) as Array<{ number: string }>).map((p) => ({ number: p.number })),
      } as CrmCustomer;
      ctx.state.customers.push({ source: 'api', receivedAt: now, key: req.crmKey!, customer });
      return reply.code(201).send({ success: true, id: customer.id });
    },
  );
}
