// Coded errors of RetailCRM's callbacks (prefix RCRM_, like the rest of the service).
import createError from '@fastify/error';

/** 401: the clientId is not the module's of any enterprise (never identified by enterprise number). */
export const UnknownClientIdError = createError('RCRM_UNKNOWN_CLIENT_ID', 'unknown clientId', 401);
/** 403: the enterprise or its RetailCRM integration is switched off. */
export const CallbacksDisabledError = createError(
  'RCRM_CALLBACKS_DISABLED',
  'RetailCRM integration of enterprise %s is disabled',
  403,
);
/** 400: a callback parameter is unusable (the reason says which); nothing was sent to a host. */
export const CallbackInvalidError = createError('RCRM_CALLBACK_INVALID', '%s', 400);
/** 422: click-to-call has no host for this enterprise (fleet host set). */
export const NoHostError = createError(
  'RCRM_NO_ASTERISK_HOST',
  'enterprise %s has no Asterisk host for click-to-call',
  422,
);
/** 502/504: the asterisk service (or the host behind it) failed; its reason is passed on. */
export const OriginateFailedError = createError('RCRM_ORIGINATE_FAILED', 'the call could not be started: %s', 502);
