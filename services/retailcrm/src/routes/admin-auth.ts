// The admin page's entry: the signed link (GET, or POST with clientId from RetailCRM's button) is
// exchanged for a session cookie and the browser is sent to the page without the token in the URL.
// Anything wrong ends on the "access denied" page, never on the admin page.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { linkState, verifyLink, type LinkRefusal, readConnection } from '@fleet/retailcrm-admin';
import { adminShell, deniedPage, type DeniedReason } from '../admin/pages.ts';
import { closeSession, openSession } from '../admin/sessions.ts';
import { ADMIN_PATH } from '../plugins/session.ts';

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export default async function adminAuthRoutes(app: FastifyInstance): Promise<void> {
  const c = app.rcrmConfig;
  const rateLimit = { max: c.ADMIN_AUTH_RATE_PER_MINUTE, timeWindow: '1 minute' };

  function denied(reply: FastifyReply, reason: DeniedReason) {
    return reply
      .code(403)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(deniedPage(reason));
  }

  async function exchange(
    request: FastifyRequest<{
      Querystring: { token?: string };
      Body: { token?: string; clientId?: string } | undefined;
    }>,
    reply: FastifyReply,
  ) {
    const body = request.body && typeof request.body === 'object' ? request.body : {};
    const token = request.query.token ?? (typeof body.token === 'string' ? body.token : undefined);
    const refuse = (reason: LinkRefusal) => {
      request.log.warn({ reason, method: request.method }, 'admin link refused');
      return denied(reply, reason);
    };
    if (!token || token.length > 2048) return refuse(token ? 'invalid' : 'missing');
    const claims = verifyLink(c.JWT_SECRET, token);
    if ('refused' in claims) return refuse(claims.refused);
    const state = await linkState(app.sql, claims.enterprise, claims.jti);
    if (state !== 'ok') return refuse(state);
    // RetailCRM POSTs the module's clientId from the admin's browser: it must be this enterprise's.
    if (typeof body.clientId === 'string') {
      const conn = await readConnection(app.sql, c.SECRETS_KEY, claims.enterprise);
      if (!conn?.clientId || !same(conn.clientId, body.clientId)) return refuse('wrong_account');
    }
    const id = await openSession(app.sql, claims.enterprise, claims.jti, c.ADMIN_SESSION_TTL_HOURS);
    app.setSessionCookie(reply, id);
    request.log.info({ enterprise: claims.enterprise }, 'admin session opened');
    return reply.code(303).header('cache-control', 'no-store').redirect(ADMIN_PATH);
  }

  // logLevel warn: Fastify's request line would otherwise log the URL with the token in it.
  // One route for both methods: @fastify/rate-limit keeps a bucket per route, and two routes gave a
  // client twice the exchanges per minute.
  app.route({
    method: ['GET', 'POST'],
    url: '/retailcrm-admin/auth',
    logLevel: 'warn',
    config: { rateLimit },
    handler: exchange,
  });

  app.get('/retailcrm-admin', (_req, reply) => reply.redirect(ADMIN_PATH));
  app.get(ADMIN_PATH, async (request, reply) => {
    if (!request.adminSession) return denied(reply, 'no_session');
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(adminShell());
  });

  app.post('/retailcrm-admin/logout', { onRequest: app.csrfProtection }, async (request, reply) => {
    if (request.adminSession) await closeSession(app.sql, request.adminSession.idHash);
    app.clearSessionCookie(reply);
    return reply.send({ ok: true });
  });
}
