// GET/PUT /retailcrm-admin/api/managers: the Managers section. A save writes user_extensions (one
// extension, one manager, directory extensions only) and pushes the full additionalCodes to RetailCRM.
import type { FastifyInstance } from 'fastify';
import {
  BadInputError,
  journalExchanges,
  currentModuleLink,
  crmFailure,
  registerModule,
  usableConnection,
} from '@fleet/retailcrm-admin';
import { listExtensions, listManagers, saveMapping, withStoredStatus, type MappingChange } from '../admin/managers.ts';

export default async function adminManagersRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.adminCtx;

  app.get('/managers', async (request) => {
    const conn = await usableConnection(ctx, request.adminSession!.enterprise);
    const client = ctx.clientFor(conn.domain, conn.apiKey, async (x) => {
      if (!x.ok) await journalExchanges(app.sql, conn.enterprise, 'users', conn.apiKey)(x);
    });
    let managers;
    try {
      managers = await listManagers(client);
    } catch (err) {
      throw crmFailure(err);
    }
    managers = await withStoredStatus(app.sql, conn.enterprise, managers);
    return {
      managers,
      extensions: await listExtensions(app.sql, conn.enterprise, conn.userExtensions),
      mapping: conn.userExtensions,
    };
  });

  app.put<{ Body: { changes?: Array<{ userId?: unknown; extension?: unknown }>; names?: Record<string, string> } }>(
    '/managers',
    async (request) => {
      const raw = request.body?.changes;
      if (!Array.isArray(raw) || raw.length > 5000) throw new BadInputError('changes: нужен список изменений');
      const changes: MappingChange[] = raw.map((c) => {
        const userId = String(c?.userId ?? '');
        if (!/^\d{1,10}$/.test(userId)) throw new BadInputError(`Неверный пользователь: ${userId.slice(0, 40)}`);
        if (c.extension === null || c.extension === '') return { userId, extension: null };
        if (typeof c.extension !== 'string' || !/^\d{2,6}$/.test(c.extension))
          throw new BadInputError(`Неверный номер: ${String(c.extension).slice(0, 40)}`);
        return { userId, extension: c.extension };
      });
      const conn = await usableConnection(ctx, request.adminSession!.enterprise);
      // Names for the messages: the page's own list (display only, never trusted for access).
      const names = request.body?.names ?? {};
      const nameOf = (id: string) => (typeof names[id] === 'string' ? names[id].slice(0, 200) : `#${id}`);
      const result = await saveMapping(app.sql, conn.enterprise, changes, nameOf);
      let push: { ok: boolean; message: string; notExistUsersIds?: number[] };
      try {
        const mode = (await currentModuleLink(app.sql, conn.enterprise)) ? 'push' : 'register';
        const r = await registerModule(ctx, conn.enterprise, { mode });
        // RetailCRM now holds the new codes: the drift noted so far may be fixed (the next popups tell).
        await app.rcrmDrift.clear(conn.enterprise);
        push = {
          ok: true,
          message: `В RetailCRM отправлено соответствий: ${r.additionalCodes.length}.`,
          notExistUsersIds: r.notExistUsersIds,
        };
      } catch (err) {
        push = { ok: false, message: `Сохранено у нас, но не отправлено в RetailCRM: ${(err as Error).message}` };
      }
      return {
        mapping: result.map,
        lost: result.lost.map((l) => ({ ...l, name: nameOf(l.userId), takenByName: nameOf(l.takenBy) })),
        push,
      };
    },
  );
}
