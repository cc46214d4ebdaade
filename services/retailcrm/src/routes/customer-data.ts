// POST /api/callevent/getcustomerdata (hosts, through nginx; header Token = the host token): the
// customer's name and the responsible manager's route for an incoming call, from RetailCRM's
// GET /api/v5/telephony/manager of THAT enterprise's account. Fails open — {"Name":"","DialPlan":null}
// within the deadline (1.5 s) whatever goes wrong, the token's own database lookup included — and
// caches answers 60 s per (enterprise, phone).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dialPlanFor, safeAnswer, UNKNOWN_CUSTOMER, type CustomerData } from '../callbacks/customer-data.ts';
import { withinOr, type CustomerLookup } from '../callbacks/customer-lookup.ts';

export interface CustomerDataOptions {
  deadlineMs: number;
  lookup: CustomerLookup;
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

/** Failing open: 200 and the empty answer (a host treats any other status as a failure of its own). */
const OPEN = { status: 200, data: UNKNOWN_CUSTOMER };

export default async function customerDataRoutes(app: FastifyInstance, opts: CustomerDataOptions): Promise<void> {
  /** Everything that may be slow: the token's enterprise, then RetailCRM. */
  async function answer(
    token: string,
    b: Record<string, unknown>,
    request: FastifyRequest,
  ): Promise<{ status: number; data: CustomerData }> {
    const [ent] = await app.sql<
      { number: string }[]
    >`select number from enterprises where host_token = ${token} and active`;
    if (!ent) return { status: 401, data: UNKNOWN_CUSTOMER };
    const phone =
      typeof b.Phone === 'string' || typeof b.Phone === 'number' ? String(b.Phone).replace(/[^0-9+]/g, '') : '';
    if (!/^\+?[0-9]{5,15}$/.test(phone)) return OPEN;
    const found = await opts.lookup(ent.number, phone).catch((err: Error & { code?: string }) => {
      const uniqueId = typeof b.UniqueId === 'string' ? b.UniqueId.slice(0, 64) : undefined;
      request.log.warn(
        { enterprise: ent.number, uniqueId, code: err.code, reason: err.message },
        'getcustomerdata: RetailCRM lookup failed; failing open',
      );
      return null;
    });
    if (!found) return OPEN;
    const trunk = typeof b.TrunkId === 'string' || typeof b.TrunkId === 'number' ? String(b.TrunkId) : '';
    return {
      status: 200,
      data: safeAnswer(found.name, truthy(b.LoadDialPlan) ? dialPlanFor(found.extension, trunk) : null),
    };
  }

  app.post(
    '/api/callevent/getcustomerdata',
    async (request: FastifyRequest, reply: FastifyReply): Promise<CustomerData> => {
      const token = request.headers.token;
      if (typeof token !== 'string' || token === '' || token.length > 128) {
        reply.code(401);
        return UNKNOWN_CUSTOMER;
      }
      const b = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
      // The deadline counts from the request's arrival (body parsing included).
      const left = opts.deadlineMs - reply.elapsedTime;
      const r = await withinOr(
        answer(token, b, request),
        left,
        OPEN,
        (err) => request.log.warn({ err }, 'getcustomerdata failed; failing open'),
        () =>
          request.log.warn(
            { deadlineMs: opts.deadlineMs },
            'getcustomerdata: no answer within the deadline; failing open',
          ),
      );
      reply.code(r.status);
      return r.data;
    },
  );
}
