// The one "same machine only" rule of the internal routes: which peers pass, that the socket address
// decides (never a header), and that the refusal comes before the body is parsed or validated.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackOnly } from '../src/index.ts';

class Forbidden extends Error {
  statusCode = 403;
  code = 'T_FORBIDDEN_ORIGIN';
}

const app = Fastify();
const refused: { route: string; peer: string }[] = [];
beforeAll(async () => {
  app.post(
    '/internal/:id',
    {
      onRequest: loopbackOnly(
        (route, peer) => (refused.push({ route, peer }), new Forbidden(`only loopback callers may use ${route}`)),
      ),
      schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } },
    },
    async () => ({ ok: true }),
  );
  await app.ready();
});
afterAll(() => app.close());

const post = (remoteAddress: string, payload: unknown = { n: 1 }, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/internal/7', remoteAddress, payload: payload as object, headers });

describe('loopbackOnly', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('lets the loopback peer %s through', async (peer) => {
    expect((await post(peer)).statusCode).toBe(200);
  });

  it.each(['10.1.2.3', '192.168.0.127', '::ffff:10.0.0.1', '::2', '1127.0.0.1'])(
    'refuses %s with the service error, naming the route pattern and the peer',
    async (peer) => {
      refused.length = 0;
      const res = await post(peer);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        code: 'T_FORBIDDEN_ORIGIN',
        message: 'only loopback callers may use /internal/:id',
      });
      expect(refused).toEqual([{ route: '/internal/:id', peer }]);
    },
  );

  it('decides on the socket address: X-Forwarded-For / X-Real-IP saying 127.0.0.1 change nothing', async () => {
    expect(
      (await post('10.1.2.3', { n: 1 }, { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' })).statusCode,
    ).toBe(403);
  });

  it('refuses before the body is validated: a stranger gets 403, not the 400 that would describe the schema', async () => {
    expect((await post('10.1.2.3', { n: 'x' })).statusCode).toBe(403);
    expect((await post('127.0.0.1', { n: 'x' })).statusCode).toBe(400);
  });
});
