// PUT /retailcrm-admin/api/missed-call-tasks: the switch of missed-call tasks (issue 14) with its
// fallback user and due delay. Switching on first asks RetailCRM which scopes the stored key has: a key
// without task_read/task_write is refused here (422 with the missing scopes), not at the first missed call.
import type { FastifyInstance } from 'fastify';
import {
  BadInputError,
  TaskScopesMissingError,
  missedCallTasksProblem,
  readConnection,
  saveMissedCallTasks,
} from '@fleet/retailcrm-admin';
import { missingScopesOfKey } from '../admin/scope-check.ts';
import { missingTaskScopes, TASK_SCOPE_TITLES } from '../admin/scopes.ts';

interface Body {
  enabled?: unknown;
  fallbackUserId?: unknown;
  dueMinutes?: unknown;
}

export default async function adminTasksRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.adminCtx;

  app.put<{ Body: Body }>('/missed-call-tasks', async (request) => {
    const enterprise = request.adminSession!.enterprise;
    const b = request.body ?? {};
    if (typeof b.enabled !== 'boolean') throw new BadInputError('enabled: нужно true или false');
    const before = (await readConnection(app.sql, ctx.secretsKey, enterprise))!.missedCallTasks;
    const next = {
      enabled: b.enabled,
      fallbackUserId:
        b.fallbackUserId === undefined ? before.fallbackUserId : b.fallbackUserId === '' ? null : b.fallbackUserId,
      dueMinutes: b.dueMinutes === undefined ? before.dueMinutes : b.dueMinutes,
    };
    const problem = missedCallTasksProblem(next);
    if (problem) throw new BadInputError(problem);
    if (next.enabled) {
      const missing = await missingScopesOfKey(app, enterprise, missingTaskScopes);
      if (missing.length)
        throw Object.assign(new TaskScopesMissingError(missing.join(', ')), {
          details: { missing: missing.map((scope) => ({ scope, title: TASK_SCOPE_TITLES[scope] })) },
        });
    }
    const saved = next as { enabled: boolean; fallbackUserId: number | null; dueMinutes: number };
    await saveMissedCallTasks(app.sql, enterprise, saved);
    return { missedCallTasks: saved };
  });
}
