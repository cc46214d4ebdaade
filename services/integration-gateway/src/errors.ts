// Every error the gateway raises is a coded factory (prefix GW_): callers and tests branch on `code`.
import createError from '@fastify/error';

/** 403: the route only serves callers on the loopback interface (call-intake, operators on the host). */
export const ForbiddenOriginError = createError('GW_FORBIDDEN_ORIGIN', 'only loopback callers may use %s', 403);
/** 422: the enterprise named in a dispatch does not exist. */
export const UnknownEnterpriseError = createError('GW_UNKNOWN_ENTERPRISE', 'enterprise %s does not exist', 422);
/** 503: the database did not answer. */
export const DatabaseUnavailableError = createError('GW_DB_UNAVAILABLE', 'database unavailable: %s', 503);

/** A forward failed in a way that may succeed later (network, timeout, 5xx, 409, 429). */
export const UpstreamTransientError = createError('GW_UPSTREAM_TRANSIENT', 'transient upstream failure: %s', 502);
/** A forward was refused for good (4xx other than 409/429): the dispatch is answered 422 (dead letter). */
export const UpstreamPermanentError = createError('GW_UPSTREAM_PERMANENT', 'permanent upstream failure: %s', 502);
/** 400: the body parses as JSON but PostgreSQL could not store it (NUL, an unpaired surrogate, deep nesting). */
export const UnstorableBodyError = createError('GW_BODY_UNSTORABLE', 'body cannot be stored: %s', 400);
