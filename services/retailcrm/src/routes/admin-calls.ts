// GET /retailcrm-admin/api/calls: the «Звонки» tab (issue 14 item 3), read-only, on the session's
// enterprise. ?filter=all|missed|called-back|open&page=N&from=YYYY-MM-DD&to=YYYY-MM-DD (the enterprise's
// days); bad input is a 400 RCRM_ADMIN_BAD_INPUT naming the parameter (admin/calls-query.ts).
import type { FastifyInstance } from 'fastify';
import { readCalls } from '../admin/calls-read.ts';
import { CALL_FILTERS, parseCallsQuery, todayIn } from '../admin/calls-query.ts';

const querystring = {
  type: 'object',
  properties: {
    filter: { type: 'string', enum: [...CALL_FILTERS], description: 'default all' },
    page: { type: 'string', pattern: '^[0-9]{1,5}$', description: 'from 1; 25 calls a page' },
    from: { type: 'string', format: 'date', description: "the enterprise's day; default: to − 6 days" },
    to: {
      type: 'string',
      format: 'date',
      description: "the enterprise's day, inclusive; default today; at most 92 days",
    },
  },
} as const;

export default async function adminCallsRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: Record<string, unknown> }>(
    '/calls',
    {
      schema: {
        summary: "The enterprise's customer calls, what became of each missed call, per day and per manager",
        querystring,
      },
      // The reasons come from parseCallsQuery in the page's language; the schema documents the API.
      attachValidation: true,
    },
    async (request) => {
      const enterprise = request.adminSession!.enterprise;
      const [ent] = await app.sql<
        { timezone: string }[]
      >`select timezone from enterprises where number = ${enterprise}`;
      const q = parseCallsQuery(request.query, todayIn(ent!.timezone));
      return readCalls(app.sql, enterprise, q, (phone) => app.rcrmCustomerLookup.peek(enterprise, phone)?.displayName);
    },
  );
}
