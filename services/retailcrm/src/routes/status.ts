// changeUserStatusUrl = /retailcrm/status: a manager's status at RetailCRM (free, busy, dinner,
// break), stored with its time in retailcrm_manager_status. Other services read that table, or
// GET /internal/retailcrm/manager-status?enterprise=N on loopback.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { enterpriseByClientId } from '../callbacks/client-id.ts';
import { CallbackInvalidError, UnknownClientIdError } from '../callbacks/errors.ts';
import { writeCallbackLog } from '../callbacks/journal.ts';
import { callbackParams } from './make-call.ts';
import { loopbackOnly } from './loopback-only.ts';

const STATUSES = new Set(['free', 'busy', 'dinner', 'break']);

export interface ManagerStatus {
  userId: number;
  code: string | null;
  status: 'free' | 'busy' | 'dinner' | 'break';
  changedAt: string;
}

export default async function statusRoutes(app: FastifyInstance): Promise<void> {
  const handler = async (request: FastifyRequest) => {
    const t0 = performance.now();
    const p = callbackParams(request);
    const ent = await enterpriseByClientId(app.sql, p.clientId);
    if (!ent) throw new UnknownClientIdError();
    const userId = typeof p.userId === 'string' && /^\d{1,9}$/.test(p.userId) ? Number(p.userId) : null;
    const status = typeof p.status === 'string' && STATUSES.has(p.status) ? p.status : null;
    const code = typeof p.code === 'string' && /^\d{2,6}$/.test(p.code) ? p.code : null;
    if (userId === null) throw new CallbackInvalidError('userId must be a number');
    if (status === null) throw new CallbackInvalidError('status must be free, busy, dinner or break');
    await app.sql`
      insert into retailcrm_manager_status (enterprise, user_id, code, status, changed_at)
      values (${ent.enterprise}, ${userId}, ${code}, ${status}, now())
      on conflict (enterprise, user_id) do update set code = coalesce(excluded.code, retailcrm_manager_status.code),
        status = excluded.status, changed_at = now()`;
    await writeCallbackLog(
      app.sql,
      {
        enterprise: ent.enterprise,
        kind: 'status',
        method: request.method,
        url: '/retailcrm/status',
        request: { userId, code, status },
        statusCode: 200,
        response: { success: true },
        ok: true,
        latencyMs: Math.round(performance.now() - t0),
      },
      (err) => request.log.warn({ err }, 'integration_logs write failed'),
    );
    return { success: true };
  };
  app.get('/retailcrm/status', handler);
  app.post('/retailcrm/status', handler);

  app.get(
    '/internal/retailcrm/manager-status',
    { onRequest: loopbackOnly },
    async (request): Promise<{ managers: ManagerStatus[] }> => {
      const enterprise = (request.query as Record<string, unknown>).enterprise;
      if (typeof enterprise !== 'string' || !/^\d{1,16}$/.test(enterprise))
        throw new CallbackInvalidError('enterprise must be a number');
      const rows = await app.sql<
        { user_id: number; code: string | null; status: ManagerStatus['status']; changed_at: Date }[]
      >`
      select user_id, code, status, changed_at from retailcrm_manager_status where enterprise = ${enterprise} order by user_id`;
      return {
        managers: rows.map((r) => ({
          userId: r.user_id,
          code: r.code,
          status: r.status,
          changedAt: r.changed_at.toISOString(),
        })),
      };
    },
  );
}
