// POST integration-modules/{code}/edit and GET integration-modules/{code}.
import type { FastifyInstance } from 'fastify';
import { jsonField, reject } from '../guard.ts';
import type { FakeContext } from '../context.ts';
import { TELEPHONY_KEYS, validateModule } from '../validate.ts';

export function moduleRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.post<{ Params: { code: string } }>(
    '/api/v5/integration-modules/:code/edit',
    { config: { crm: { bucket: 'general', scope: 'integration_write' } } },
    (req, reply) => {
      const { code } = req.params;
      const m = jsonField(ctx, req, reply, 'integrationModule');
      if (m === undefined) return reply;
      const creating = !(code in ctx.state.modules);
      const errors = validateModule(m, code, creating);
      if (Object.keys(errors).length)
        return reject(ctx, req, reply, 400, 'validation', 'Errors in the entity format', errors);
      const module = structuredClone(m) as Record<string, unknown>;

      // Telephony settings at the root or under `configuration` are silently ignored by RetailCRM.
      const ignored = TELEPHONY_KEYS.filter((k) => k in module).concat(
        typeof module.configuration === 'object' && module.configuration !== null
          ? TELEPHONY_KEYS.filter((k) => k in (module.configuration as object)).map((k) => `configuration.${k}`)
          : [],
      );
      for (const k of TELEPHONY_KEYS) delete module[k];
      if (ignored.length) ctx.state.ignoredModuleFields.push({ code, fields: ignored });

      // additionalCodes are replaced wholesale: an edit without them leaves the manager map empty.
      const integrations = (module.integrations ?? {}) as { telephony?: Record<string, unknown> };
      const notExistUsersIds: number[] = [];
      if (integrations.telephony) {
        const codes = ((integrations.telephony.additionalCodes ?? []) as Array<{ userId: unknown; code: unknown }>).map(
          (a) => ({
            userId: Number(a.userId),
            code: String(a.code),
          }),
        );
        for (const a of codes)
          if (ctx.users && !ctx.users.some((u) => u.id === a.userId)) notExistUsersIds.push(a.userId);
        integrations.telephony.additionalCodes = codes.filter((a) => !notExistUsersIds.includes(a.userId));
      }
      ctx.state.modules[code] = module;
      return reply
        .code(creating ? 201 : 200)
        .send({ success: true, ...(notExistUsersIds.length ? { info: { notExistUsersIds } } : {}) });
    },
  );

  app.get<{ Params: { code: string } }>(
    '/api/v5/integration-modules/:code',
    { config: { crm: { bucket: 'general', scope: 'integration_read' } } },
    (req, reply) => {
      const module = ctx.state.modules[req.params.code];
      if (!module) return reject(ctx, req, reply, 404, 'not_found', 'Not found');
      return reply.send({ success: true, integrationModule: module });
    },
  );
}
