// POST /api/callevent/getcustomerdata (hosts, through nginx; header Token = the host token): the
// customer's name and the responsible manager's route for an incoming call, from RetailCRM's
// GET /api/v5/telephony/manager of THAT enterprise's account. Fails open — {"Name":"","DialPlan":null}
// within the deadline (1.5 s) whatever goes wrong — and caches answers 60 s per (enterprise, phone).
import type { FastifyInstance } from 'fastify';
import { customerNameOf, dialPlanFor, extensionOfManager, safeAnswer, UNKNOWN_CUSTOMER, type CustomerData } from '../callbacks/customer-data.ts';

export interface CustomerDataOptions {
  deadlineMs: number;
  cacheMs: number;
  /** Most entries kept (oldest dropped first). */
  cacheMax?: number;
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

export default async function customerDataRoutes(app: FastifyInstance, opts: CustomerDataOptions): Promise<void> {
  const cache = new Map<string, { at: number; name: string; extension: string | null }>();

  async function lookup(enterprise: string, phone: string): Promise<{ name: string; extension: string | null }> {
    const key = `${enterprise}|${phone}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < opts.cacheMs) return hit;
    const s = await app.rcrmEnterprises.retailCrmSettings(enterprise);
    // No journal per lookup: this runs for every incoming call; failures are logged below.
    const client = app.rcrmClients.clientFor(s.origin, s.apiKey, async () => undefined);
    const r = (await client.responsibleManager(phone, { details: true })) as { manager?: unknown; customer?: unknown };
    const value = { at: Date.now(), name: customerNameOf(r.customer), extension: extensionOfManager(r.manager, s.userExtensions) };
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > (opts.cacheMax ?? 50_000)) cache.delete(cache.keys().next().value!);
    return value;
  }

  app.post('/api/callevent/getcustomerdata', async (request, reply): Promise<CustomerData> => {
    const t0 = performance.now();
    try {
      const token = request.headers.token;
      if (typeof token !== 'string' || token === '' || token.length > 128) {
        reply.code(401);
        return UNKNOWN_CUSTOMER;
      }
      const [ent] = await app.sql<{ number: string }[]>`select number from enterprises where host_token = ${token} and active`;
      if (!ent) {
        reply.code(401);
        return UNKNOWN_CUSTOMER;
      }
      const b = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
      const phone = typeof b.Phone === 'string' || typeof b.Phone === 'number' ? String(b.Phone).replace(/[^0-9+]/g, '') : '';
      if (!/^\+?[0-9]{5,15}$/.test(phone)) return UNKNOWN_CUSTOMER;
      const log = request.log.child({ enterprise: ent.number, uniqueId: typeof b.UniqueId === 'string' ? b.UniqueId.slice(0, 64) : undefined });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<null>((r) => (timer = setTimeout(() => r(null), Math.max(0, opts.deadlineMs - (performance.now() - t0)))));
      const found = await Promise.race([
        lookup(ent.number, phone).catch((err: Error & { code?: string }) => {
          log.warn({ code: err.code, reason: err.message }, 'getcustomerdata: RetailCRM lookup failed; failing open');
          return null;
        }),
        deadline,
      ]).finally(() => clearTimeout(timer));
      if (!found) return UNKNOWN_CUSTOMER;
      const trunk = typeof b.TrunkId === 'string' || typeof b.TrunkId === 'number' ? String(b.TrunkId) : '';
      return safeAnswer(found.name, truthy(b.LoadDialPlan) ? dialPlanFor(found.extension, trunk) : null);
    } catch (err) {
      request.log.warn({ err }, 'getcustomerdata failed; failing open');
      reply.code(200);
      return UNKNOWN_CUSTOMER;
    }
  });
}
