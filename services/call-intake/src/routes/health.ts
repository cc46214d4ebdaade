import type { FastifyInstance } from 'fastify';
import { pingDatabase, type Sql } from '@fleet/db';

/** `GET /health` (process + database; 503 when the database does not answer) and `GET /stats`. */
export default async function healthRoutes(app: FastifyInstance, opts: { sql: Sql }) {
  app.get('/health', async (_req, reply) => {
    const database = await pingDatabase(opts.sql);
    // With the outage journal, events are still acknowledged while the database is down, unless it is full.
    const journal = app.journal?.status();
    const accepting = journal ? !journal.full : database;
    reply.code(accepting ? 200 : 503);
    return {
      status: database ? 'ok' : 'degraded',
      service: 'call-intake',
      database,
      listen: app.directoryListener.listening,
      ...(journal ? { journal } : {}),
      ...(journal?.reason ? { reason: journal.reason } : {}),
    };
  });

  app.get('/stats', async () => {
    const [outbox] = await opts.sql<{ pending: number; dead: number; oldest_pending_s: number | null }[]>`
      select count(*) filter (where status = 'pending')::int as pending,
             count(*) filter (where status = 'dead')::int as dead,
             extract(epoch from now() - min(created_at) filter (where status = 'pending'))::float as oldest_pending_s
      from intake_outbox`;
    const [events] = await opts.sql<{ unprocessed: number }[]>`
      select count(*)::int as unprocessed from call_events where processed_at is null`;
    return { groupCommit: app.eventStore.stats, events, outbox, dispatcher: app.dispatcher.stats };
  });
}
