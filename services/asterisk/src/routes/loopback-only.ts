import { loopbackOnly as loopbackOnlyHook } from '@fleet/service';
import { ForbiddenOriginError } from '../errors.ts';

/**
 * onRequest hook: the service originates calls on enterprises' PBXs, so only the fleet's services on
 * this machine may ask (the secret is the second lock; the rule: @fleet/service).
 * @throws ForbiddenOriginError (AST_FORBIDDEN_ORIGIN, 403).
 */
export const loopbackOnly = loopbackOnlyHook((route) => new ForbiddenOriginError(route));
