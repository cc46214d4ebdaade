export { createRetailCrmClient, type RetailCrmClient, type RetailCrmClientOptions } from './client.ts';
export {
  RetailCrmError,
  isRetailCrmError,
  isCrmNotFound,
  type RetailCrmErrorCode,
  type RetailCrmErrorInit,
} from './errors.ts';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions, type RateBucket } from './limiter.ts';
export { formatCrmDate, formatCrmTaskDate, buildRecordUrl, recordUrlOf, type RecordUrlParams } from './format.ts';
export { checkCrmOrigin, parseCrmOrigin, type CrmOriginRefusal } from './origin.ts';
export { encodeForm, parseRetryAfter, type CrmAttempt, type CrmExchange, type RetryPolicy } from './transport.ts';
export type * from './types.ts';
