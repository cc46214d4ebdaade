import { loopbackOnly as loopbackOnlyHook } from '@fleet/service';
import { ForbiddenOriginError } from '../errors.ts';

/**
 * onRequest hook for routes only the gateway on this host may call (the rule: @fleet/service).
 * @throws ForbiddenOriginError (RCRM_FORBIDDEN_ORIGIN, 403, naming the caller) for any other peer.
 */
export const loopbackOnly = loopbackOnlyHook((route, peer) => new ForbiddenOriginError(route, peer));
