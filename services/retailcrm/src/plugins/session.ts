// The admin page's session: the cookie, the session row behind it, `request.adminSession`, and the
// AdminContext the admin operations run with. Registered inside the admin scope only.
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AdminContext, NoSessionError } from '@fleet/retailcrm-admin';
import { findSession, SESSION_COOKIE, type AdminSession } from '../admin/sessions.ts';

declare module 'fastify' {
  interface FastifyInstance {
    adminCtx: AdminContext;
    /** preHandler: 401 without a live session. */
    requireAdminSession(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    setSessionCookie(reply: FastifyReply, id: string): void;
    clearSessionCookie(reply: FastifyReply): void;
  }
  interface FastifyRequest {
    adminSession: AdminSession | undefined;
  }
}

export const ADMIN_PATH = '/retailcrm-admin/';

export const sessionPlugin = fp(
  async (app: FastifyInstance) => {
    const c = app.rcrmConfig;
    const secure = c.PUBLIC_BASE_URL.startsWith('https:');
    await app.register(cookie);
    app.decorate('adminCtx', {
      sql: app.sql,
      secretsKey: c.SECRETS_KEY,
      jwtSecret: c.JWT_SECRET,
      publicBaseUrl: c.PUBLIC_BASE_URL,
      moduleCode: c.RETAILCRM_MODULE_CODE,
      moduleName: c.RETAILCRM_MODULE_NAME,
      linkTtlDays: c.ADMIN_LINK_TTL_DAYS,
      clientFor: (origin, apiKey, onExchange) => app.rcrmClients.clientFor(origin, apiKey, onExchange),
    } satisfies AdminContext);
    app.decorateRequest('adminSession', undefined);
    app.addHook('onRequest', async (request) => {
      request.adminSession = await findSession(app.sql, request.cookies[SESSION_COOKIE]);
    });
    // Lax, not Strict: the admin arrives by a top-level navigation from RetailCRM's domain, and a
    // Strict cookie would not ride on the redirect that follows. Mutations carry a CSRF token too.
    const cookieOptions = { path: ADMIN_PATH, httpOnly: true, sameSite: 'lax' as const, secure };
    app.decorate('setSessionCookie', (reply: FastifyReply, id: string) => {
      reply.setCookie(SESSION_COOKIE, id, { ...cookieOptions, maxAge: c.ADMIN_SESSION_TTL_HOURS * 3600 });
    });
    app.decorate('clearSessionCookie', (reply: FastifyReply) => {
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
    });
    app.decorate('requireAdminSession', async (request: FastifyRequest) => {
      if (!request.adminSession) throw new NoSessionError();
    });
  },
  { name: 'retailcrm-admin-session', dependencies: ['retailcrm-core', 'retailcrm-crm'] },
);
