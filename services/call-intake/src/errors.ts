import createError from '@fastify/error';

// Coded errors of call-intake (prefix INTAKE_). Hosts log the JSON reason; tests branch on `code`.
export const UnknownToken = createError('INTAKE_UNKNOWN_TOKEN', 'unknown host token', 403);
export const MissingToken = createError('INTAKE_MISSING_TOKEN', 'no Token in body or header', 403);
export const InactiveEnterprise = createError('INTAKE_ENTERPRISE_INACTIVE', 'enterprise %s is inactive', 403);
export const MalformedBody = createError('INTAKE_MALFORMED_BODY', 'body is not valid JSON: %s', 400);
export const InvalidEvent = createError('INTAKE_INVALID_EVENT', '%s', 400);
export const UnknownEvent = createError('INTAKE_UNKNOWN_EVENT', 'unknown event path %s', 404);
export const StorageUnavailable = createError(
  'INTAKE_STORAGE_UNAVAILABLE',
  'event storage unavailable, retry later',
  503,
);
