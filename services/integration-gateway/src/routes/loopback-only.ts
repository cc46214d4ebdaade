import type { FastifyRequest } from 'fastify';
import { ForbiddenOriginError } from '../errors.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * onRequest hook (before the body is parsed and validated) for routes only call-intake (same host) may
 * call. Uses the socket's address, never X-Forwarded-For: nginx does not proxy these routes, and a
 * header is whatever the caller says.
 * @throws ForbiddenOriginError (GW_FORBIDDEN_ORIGIN, 403) for any other peer.
 */
export async function loopbackOnly(request: FastifyRequest): Promise<void> {
  const peer = request.socket.remoteAddress ?? '';
  if (!LOOPBACK.test(peer)) throw new ForbiddenOriginError(request.routeOptions.url ?? request.url);
}
