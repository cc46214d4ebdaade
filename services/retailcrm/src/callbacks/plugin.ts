// RetailCRM's callbacks to us (make-call, status) and the hosts' getcustomerdata, registered as one
// encapsulated plugin so that the form parser applies to these routes only.
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import makeCallRoutes from '../routes/make-call.ts';
import statusRoutes from '../routes/status.ts';
import customerDataRoutes from '../routes/customer-data.ts';

export default async function callbackRoutes(app: FastifyInstance): Promise<void> {
  const c = app.rcrmConfig;
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody);
  // One cache for all (plugins/customer-lookup.ts): a client a manager just called back is often the
  // one who called in, and the Telegram cards ask for the same numbers.
  const lookup = app.rcrmCustomerLookup;
  await app.register(makeCallRoutes, {
    asteriskUrl: c.ASTERISK_URL,
    timeoutMs: c.MAKE_CALL_TIMEOUT_MS,
    dedupMs: c.CLICK_DEDUP_MS,
    lookup,
    nameDeadlineMs: c.CUSTOMER_DATA_DEADLINE_MS,
  });
  await app.register(statusRoutes);
  await app.register(customerDataRoutes, { deadlineMs: c.CUSTOMER_DATA_DEADLINE_MS, lookup });
}
