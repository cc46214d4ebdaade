// Internal routes (the gateway's dispatch, retailcrm's call-event, asterisk's makecallexternal) are
// called only by the fleet's own services on the same machine; nginx never proxies them. This is the
// one rule for "same machine" that every service applies before it parses or validates a body.
import type { FastifyRequest } from 'fastify';

/** 127.0.0.0/8, ::1, and 127.0.0.0/8 as an IPv4-mapped IPv6 address (a dual-stack socket's view of it). */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * True when the TCP peer of `request` is on the loopback interface. Reads the socket's address, never
 * `X-Forwarded-For` or `request.ip` (which trustProxy would take from that header): a header is
 * whatever the caller says.
 */
export function isLoopbackPeer(request: FastifyRequest): boolean {
  return LOOPBACK.test(request.socket.remoteAddress ?? '');
}

/**
 * An onRequest hook (it runs before the body is parsed, so a stranger learns nothing from validation
 * errors) that lets only loopback peers through. `forbidden(route, peer)` builds the service's own
 * 403 error (GW_/RCRM_/AST_FORBIDDEN_ORIGIN), thrown for any other peer.
 */
export function loopbackOnly(
  forbidden: (route: string, peer: string) => Error,
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (!isLoopbackPeer(request))
      throw forbidden(request.routeOptions.url ?? request.url, request.socket.remoteAddress ?? 'unknown');
  };
}
