// GET users (paginated, filter[…]) and GET /api/credentials.
import type { FastifyInstance } from 'fastify';
import { reject } from '../guard.ts';
import type { FakeContext } from '../context.ts';

const LIMITS = [20, 50, 100];
const FILTERS = ['active', 'isManager', 'online'] as const;

export function userRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.get('/api/v5/users', { config: { crm: { bucket: 'general', scope: 'user_read' } } }, (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const limit = q.limit === undefined ? 20 : Number(q.limit);
    const page = q.page === undefined ? 1 : Number(q.page);
    if (!LIMITS.includes(limit))
      return reject(ctx, req, reply, 400, 'validation', 'Errors in the input parameters', {
        limit: 'must be one of 20, 50, 100',
      });
    if (!Number.isInteger(page) || page < 1)
      return reject(ctx, req, reply, 400, 'validation', 'Errors in the input parameters', {
        page: 'must be a positive integer',
      });
    let users = ctx.users ?? [];
    for (const f of FILTERS) {
      const v = q[`filter[${f}]`];
      if (v !== undefined) users = users.filter((u) => Boolean(u[f]) === (v === '1' || v === 'true'));
    }
    if (q['filter[status]']) users = users.filter((u) => u.status === q['filter[status]']);
    const totalPageCount = Math.max(1, Math.ceil(users.length / limit));
    return reply.send({
      success: true,
      pagination: { limit, totalCount: users.length, currentPage: page, totalPageCount },
      users: users.slice((page - 1) * limit, page * limit),
    });
  });

  // Real RetailCRM (api-client-php's ApiTest::testCredentials fixture): `scopes` holds the key's scope
  // names, `credentials` the API methods the key may call, as unversioned paths with `{code}`
  // placeholders. Older accounts answer without `scopes` (the checker derives them from the methods).
  app.get('/api/credentials', { config: { crm: { bucket: 'general' } } }, (req, reply) => {
    const key = ctx.keys.find((k) => k.label === req.crmKey)!;
    const scopes = key.scopes ?? ALL_SCOPES;
    return reply.send({
      success: true,
      ...(key.withoutScopesField ? {} : { scopes }),
      credentials: [...new Set(ctx.methods.filter((m) => scopes.includes(m.scope)).map((m) => m.path))],
      siteAccess: 'access_full',
      sitesAvailable: ctx.sites,
    });
  });
}

/** A route as `credentials` lists it: '/api/v5/integration-modules/:code/edit' → '/api/integration-modules/{code}/edit'. */
export const credentialPath = (url: string) => url.replace(/^\/api\/v\d+\//, '/api/').replace(/:(\w+)/g, '{$1}');

export const ALL_SCOPES = [
  'telephony_read',
  'telephony_write',
  'integration_read',
  'integration_write',
  'user_read',
  'task_read',
  'task_write',
  'customer_read',
  'customer_write',
];
