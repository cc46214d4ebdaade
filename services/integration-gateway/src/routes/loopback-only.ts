import { loopbackOnly as loopbackOnlyHook } from '@fleet/service';
import { ForbiddenOriginError } from '../errors.ts';

/**
 * onRequest hook (before the body is parsed and validated) for routes only call-intake on this host
 * may call; nginx does not proxy them (the rule: @fleet/service).
 * @throws ForbiddenOriginError (GW_FORBIDDEN_ORIGIN, 403) for any other peer.
 */
export const loopbackOnly = loopbackOnlyHook((route) => new ForbiddenOriginError(route));
