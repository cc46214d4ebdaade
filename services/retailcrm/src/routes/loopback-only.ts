import type { FastifyRequest } from 'fastify';
import { ForbiddenOriginError } from '../errors.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * onRequest hook for routes only the gateway on this host may call. `request.ip` is the socket's
 * address (trustProxy is off): a forwarded-for header is whatever the caller says.
 * @throws ForbiddenOriginError (RCRM_FORBIDDEN_ORIGIN, 403) for any other peer.
 */
export async function loopbackOnly(request: FastifyRequest): Promise<void> {
  if (!LOOPBACK.test(request.ip)) throw new ForbiddenOriginError(request.routeOptions.url ?? request.url, request.ip);
}
