// What the gateway believes an enterprise has switched on, and a manual eviction for operators.
import type { FastifyInstance } from 'fastify';
import { DatabaseUnavailableError } from '../errors.ts';
import { loopbackOnly } from './loopback-only.ts';

const params = {
  type: 'object',
  required: ['enterprise'],
  properties: { enterprise: { type: 'string', pattern: '^[0-9]{1,16}$' } },
} as const;

/** Registers GET /integrations/:enterprise and POST /cache/invalidate/:enterprise. */
export default async function integrationRoutes(app: FastifyInstance): Promise<void> {
  // Unknown enterprises and enterprises without integrations answer all-false: not a 404.
  app.get<{ Params: { enterprise: string } }>('/integrations/:enterprise', { schema: { params } }, async (request) => {
    try {
      return (await app.enablement.get(request.params.enterprise)).integrations;
    } catch (err) {
      throw new DatabaseUnavailableError((err as Error).message);
    }
  });

  app.post<{ Params: { enterprise: string } }>(
    '/cache/invalidate/:enterprise',
    { schema: { params }, onRequest: loopbackOnly },
    async (request) => {
      app.enablement.invalidate(request.params.enterprise);
      return { status: 'invalidated', enterprise: request.params.enterprise };
    },
  );
}
