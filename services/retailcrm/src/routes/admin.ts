// The admin page (issue 5) as one encapsulated scope: its cookie, CSRF, rate limits and static files
// stay out of the internal call-event routes.
//  - @fastify/cookie: signed-less httpOnly session cookie (the value is a random id, hashed at rest);
//  - @fastify/csrf-protection: double-submit token for every mutation (secret in its own cookie);
//  - @fastify/rate-limit: only on the link exchange (global: false);
//  - @fastify/static: the page's CSS, script and the module's SVG logo.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { PUBLIC_DIR } from '../admin/pages.ts';
import { ADMIN_PATH, sessionPlugin } from '../plugins/session.ts';
import adminApiRoutes from './admin-api.ts';
import adminAuthRoutes from './admin-auth.ts';

export default async function adminRoutes(app: FastifyInstance): Promise<void> {
  await app.register(sessionPlugin);
  await app.register(csrf, {
    cookieKey: 'rcrm_csrf',
    // Tokens are bound to the session: a token taken from one session is useless in another.
    csrfOpts: {
      hmacKey: createHash('sha256').update(`csrf:${app.rcrmConfig.JWT_SECRET}`).digest('hex'),
      userInfo: true,
    },
    getUserInfo: (request) => request.adminSession?.idHash ?? '',
    cookieOpts: {
      path: ADMIN_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: app.rcrmConfig.PUBLIC_BASE_URL.startsWith('https:'),
    },
  });
  await app.register(rateLimit, {
    global: false,
    // Behind nginx/ every peer is 127.0.0.1: key on the X-Real-IP it sets, but only for loopback
    // peers (anyone else could send the header to get a fresh bucket).
    keyGenerator: (request) => {
      const real = request.headers['x-real-ip'];
      const loopback = /^(127\.|::1$|::ffff:127\.)/.test(request.socket.remoteAddress ?? '');
      return loopback && typeof real === 'string' && real ? real : request.ip;
    },
  });
  // RetailCRM posts the accountUrl as a form; register the parser unless the app already has one.
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody);
  await app.register(fastifyStatic, {
    root: `${PUBLIC_DIR}assets`,
    prefix: '/retailcrm-admin/assets/',
    decorateReply: false,
    maxAge: '1h',
  });
  app.addHook('onSend', async (_request, reply) => {
    // The token must not leak through Referer; the page must not be framed by others.
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
  });
  await app.register(adminAuthRoutes);
  await app.register(adminApiRoutes, { prefix: '/retailcrm-admin/api' });
}
