// Coded errors of the asterisk service (prefix AST_). Host failures come from @fleet/asterisk-host's
// HostError (502/504, same prefix); these are the ones decided before or after the host.
import createError from '@fastify/error';

/** 400: a parameter is unusable; nothing was sent to any host. */
export const InvalidRequestError = createError('AST_INVALID_REQUEST', '%s', 400);
/** 401: no enterprise has this clientId. */
export const UnauthorizedError = createError('AST_UNAUTHORIZED', 'unknown clientId', 401);
/** 403: only the fleet's own services on this host may call. */
export const ForbiddenOriginError = createError('AST_FORBIDDEN_ORIGIN', 'only loopback callers may use %s', 403);
/** 403: the enterprise is switched off. */
export const EnterpriseInactiveError = createError('AST_ENTERPRISE_INACTIVE', 'enterprise %s is inactive', 403);
/** 502: `channel originate` printed something: Asterisk refused it (usage text, error). */
export const OriginateRefusedError = createError('AST_ORIGINATE_REFUSED', 'the host refused the originate: %s', 502);
/** 502: `asterisk -rx` failed: the daemon is not running (exit 1) or the binary is missing (127). */
export const AsteriskDownError = createError('AST_ASTERISK_UNAVAILABLE', '%s', 502);
/** 502: `database put extcall nextcall_<ext>` did not answer "Updated database successfully". */
export const NextCallFailedError = createError('AST_NEXTCALL_FAILED', 'the host did not store nextcall: %s', 502);
/**
 * 409: another click of this extension on this host is still being placed and did not finish before
 * this request's deadline (the clicks of one extension run one at a time: src/domain/click-lock.ts).
 */
export const ExtensionBusyError = createError(
  'AST_EXTENSION_BUSY',
  'another call of extension %s is still being started',
  409,
);
