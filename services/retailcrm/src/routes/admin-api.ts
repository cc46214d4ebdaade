// The admin page's JSON API. Every route needs the session and works on the session's enterprise
// only (never an enterprise named in the request); mutations need the CSRF token. The hooks here
// cover the sections registered below.
import type { FastifyInstance } from 'fastify';
import adminCallsRoutes from './admin-calls.ts';
import adminConnectionRoutes from './admin-connection.ts';
import adminJournalRoutes from './admin-journal.ts';
import adminManagersRoutes from './admin-managers.ts';
import adminTasksRoutes from './admin-tasks.ts';
import adminCustomersRoutes from './admin-customers.ts';

export default async function adminApiRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', app.requireAdminSession);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('cache-control', 'no-store');
    if (request.method === 'GET' || request.method === 'HEAD') return done();
    app.csrfProtection(request, reply, done);
  });
  await app.register(adminConnectionRoutes);
  await app.register(adminManagersRoutes);
  await app.register(adminJournalRoutes);
  await app.register(adminTasksRoutes);
  await app.register(adminCustomersRoutes);
  await app.register(adminCallsRoutes);
}
