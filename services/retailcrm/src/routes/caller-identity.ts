// GET /internal/retailcrm/caller?enterprise=N&phone=… (call-intake's Telegram cards, loopback only):
// who is calling, from the same cached telephony/manager?details=1 lookup as getcustomerdata (issue 14
// item 2). Fails open within CUSTOMER_DATA_DEADLINE_MS: RetailCRM down, refusing or slow answers 200
// {known: false, unavailable: true} (the card shows the number alone, and nothing is cached, so the next
// ask tries again); an enterprise whose integration is off or not configured is a 422 with the reason.
import createError from '@fastify/error';
import type { FastifyInstance } from 'fastify';
import type { CallerLinks } from '../callbacks/caller-identity.ts';
import { withinOr } from '../callbacks/customer-lookup.ts';
import { loopbackOnly } from './loopback-only.ts';

/** 400: the enterprise or the phone of a caller lookup is unusable (the reason says which). */
export const CallerQueryInvalidError = createError('RCRM_CALLER_QUERY_INVALID', '%s', 400);

export interface CallerAnswer {
  /** RetailCRM has a customer with this number (false also when `unavailable`). */
  known: boolean;
  /** The customer's name for people (not escaped); absent when unknown or nameless. */
  name?: string;
  links?: CallerLinks;
  /** RetailCRM did not answer usefully within the deadline: nothing is known either way. */
  unavailable?: true;
}

/** The settings' refusals (errors.ts, 422): the caller's configuration, not RetailCRM's health. */
const REFUSALS = new Set(['RCRM_ENTERPRISE_NOT_FOUND', 'RCRM_NOT_CONFIGURED', 'RCRM_DISABLED', 'RCRM_CONFIG_INVALID']);

const UNAVAILABLE: CallerAnswer = Object.freeze({ known: false, unavailable: true }) as CallerAnswer;

const querySchema = {
  type: 'object',
  required: ['enterprise', 'phone'],
  properties: {
    enterprise: { type: 'string', pattern: '^[0-9]{1,16}$' },
    phone: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const linkSchema = { type: 'string', format: 'uri' } as const;
/** Also the serializer's whitelist: nothing but these fields ever leaves. */
const answerSchema = {
  type: 'object',
  required: ['known'],
  properties: {
    known: { type: 'boolean' },
    name: { type: 'string' },
    links: {
      type: 'object',
      properties: { customer: linkSchema, lastOrder: linkSchema, newOrder: linkSchema, newCustomer: linkSchema },
    },
    unavailable: { type: 'boolean' },
  },
} as const;

export default async function callerIdentityRoutes(app: FastifyInstance): Promise<void> {
  const deadlineMs = app.rcrmConfig.CUSTOMER_DATA_DEADLINE_MS;
  app.get(
    '/internal/retailcrm/caller',
    {
      schema: {
        summary: "The caller's identity for Telegram cards (loopback only)",
        querystring: querySchema,
        response: { 200: answerSchema },
      },
      onRequest: loopbackOnly,
    },
    async (request, reply): Promise<CallerAnswer> => {
      const q = request.query as { enterprise: string; phone: string };
      // As getcustomerdata keys its cache: digits and '+' (hosts and call-intake send the same number).
      const phone = q.phone.replace(/[^0-9+]/g, '');
      if (!/^\+?[0-9]{5,15}$/.test(phone))
        throw new CallerQueryInvalidError('phone must have 5 to 15 digits (an optional leading +)');
      const bind = { enterprise: q.enterprise };
      let refused: Error | undefined;
      const asked = app.rcrmCustomerLookup(q.enterprise, phone).then(
        (found): CallerAnswer => ({
          known: found.known,
          ...(found.known && found.displayName ? { name: found.displayName } : {}),
          links: found.links,
        }),
        (err: Error & { code?: string }) => {
          if (!err.code || !REFUSALS.has(err.code)) throw err;
          refused = err;
          return UNAVAILABLE;
        },
      );
      const answer = await withinOr(
        asked,
        deadlineMs - reply.elapsedTime,
        UNAVAILABLE,
        (err) => {
          const e = err as Error & { code?: string };
          request.log.warn({ ...bind, code: e.code, reason: e.message }, 'caller lookup failed; failing open');
        },
        () => request.log.warn({ ...bind, deadlineMs }, 'caller lookup: no answer within the deadline; failing open'),
      );
      if (refused) throw refused;
      return answer;
    },
  );
}
