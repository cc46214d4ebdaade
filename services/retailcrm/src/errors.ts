// Every error the service answers with is a coded factory (prefix RCRM_). The gateway treats 4xx as
// permanent except 409 (and 429), and 5xx as transient: the status codes below are chosen for that.
import createError from '@fastify/error';

/** 403: only callers on the loopback interface (the gateway on this host). */
export const ForbiddenOriginError = createError(
  'RCRM_FORBIDDEN_ORIGIN',
  'only loopback callers may use %s (caller %s)',
  403,
);
/** 422: no such enterprise. */
export const EnterpriseNotFoundError = createError('RCRM_ENTERPRISE_NOT_FOUND', 'enterprise %s does not exist', 422);
/** 422: the enterprise has no usable integrations_config.retailcrm (domain, api_key). */
export const NotConfiguredError = createError(
  'RCRM_NOT_CONFIGURED',
  'RetailCRM is not configured for enterprise %s: %s',
  422,
);
/** 422: the integration is switched off (or the enterprise is inactive). */
export const DisabledError = createError('RCRM_DISABLED', 'RetailCRM is disabled for enterprise %s', 422);
/** 422: a configured value is unusable (plain-http domain, unknown time zone, bad record URL template). */
export const ConfigInvalidError = createError(
  'RCRM_CONFIG_INVALID',
  'RetailCRM settings of enterprise %s are invalid: %s',
  422,
);
/** 422: internal calls never reach the CRM. */
export const NotCustomerCallError = createError(
  'RCRM_NOT_CUSTOMER_CALL',
  'call %s is internal: nothing to send to RetailCRM',
  422,
);
/** 409: another request is performing this step right now; retry after `retry_after` seconds. */
export const StepInProgressError = createError(
  'RCRM_STEP_IN_PROGRESS',
  'step %s of call %s is in progress elsewhere',
  409,
);
/** 503: RetailCRM is unavailable (rate limit, 5xx, timeout, network) after the client's own retries. */
export const UpstreamUnavailableError = createError('RCRM_UPSTREAM_UNAVAILABLE', 'RetailCRM unavailable: %s', 503);
/** 422: RetailCRM refused the request for good (validation, wrong key); `errorMsg` is RetailCRM's. */
export const UpstreamRejectedError = createError('RCRM_UPSTREAM_REJECTED', 'RetailCRM rejected the request: %s', 422);
/** 400: the body parses as JSON but PostgreSQL could not store it (NUL, an unpaired surrogate, deep nesting). */
export const UnstorableBodyError = createError('RCRM_BODY_UNSTORABLE', 'body cannot be stored: %s', 400);
