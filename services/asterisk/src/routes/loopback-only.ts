import type { FastifyRequest } from 'fastify';
import { ForbiddenOriginError } from '../errors.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * onRequest hook: the service originates calls on enterprises' PBXs, so only the fleet's services on
 * this machine may ask (the secret is the second lock). `request.ip` is the socket's address.
 * @throws ForbiddenOriginError (AST_FORBIDDEN_ORIGIN, 403).
 */
export async function loopbackOnly(request: FastifyRequest): Promise<void> {
  if (!LOOPBACK.test(request.ip)) throw new ForbiddenOriginError(request.routeOptions.url ?? request.url);
}
