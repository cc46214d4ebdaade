/** Codes of RetailCrmError; callers branch on these, never on the message. */
export type RetailCrmErrorCode =
  /** HTTP 503 (RetailCRM's answer to exceeding the per-key rate limit). transient */
  | 'RCRM_RATE_LIMITED'
  /** No response within timeoutMs. transient */
  | 'RCRM_TIMEOUT'
  /** Connection refused/reset, DNS… transient */
  | 'RCRM_NETWORK'
  /** Unexpected HTTP status without a RetailCRM error body; 5xx transient, 4xx permanent. */
  | 'RCRM_HTTP_ERROR'
  /** 401/403: wrong or missing API key, or a key without the scope. permanent */
  | 'RCRM_UNAUTHORIZED'
  /** RetailCRM answered `success:false` (validation…). permanent */
  | 'RCRM_REJECTED'
  /** 2xx whose body is not RetailCRM JSON. transient (a proxy page, a truncated body) */
  | 'RCRM_BAD_RESPONSE'
  /** Our own precondition failed before sending (bad domain, 0 or >50 calls…). permanent */
  | 'RCRM_INVALID_REQUEST'
  /** onAttempt (the journal) refused the attempt, so it was not sent. transient, not retried inside the client */
  | 'RCRM_NOT_SENT';

export interface RetailCrmErrorInit {
  code: RetailCrmErrorCode;
  message: string;
  transient: boolean;
  status?: number;
  /** RetailCRM's `errorMsg` and `errors` when it sent them. */
  errorMsg?: string;
  errors?: unknown;
  /** From a Retry-After header, ms. */
  retryAfterMs?: number;
  /**
   * The request may have reached RetailCRM and been performed: a timeout after it was sent, a dropped
   * connection, a 5xx other than the rate limit's 503/429. False when it certainly was not performed
   * (refused connection, DNS, rate limit, an answer). A non-repeatable call is never retried then.
   */
  unknownOutcome?: boolean;
  cause?: unknown;
}

/** Every failure of the RetailCRM client. `transient` says whether a later retry may succeed. */
export class RetailCrmError extends Error {
  override readonly name = 'RetailCrmError';
  readonly code: RetailCrmErrorCode;
  readonly transient: boolean;
  readonly status: number | undefined;
  readonly errorMsg: string | undefined;
  readonly errors: unknown;
  readonly retryAfterMs: number | undefined;
  readonly unknownOutcome: boolean;

  constructor(init: RetailCrmErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.transient = init.transient;
    this.status = init.status;
    this.errorMsg = init.errorMsg;
    this.errors = init.errors;
    this.retryAfterMs = init.retryAfterMs;
    this.unknownOutcome = init.unknownOutcome ?? false;
  }
}

export function isRetailCrmError(err: unknown): err is RetailCrmError {
  return err instanceof RetailCrmError;
}

/**
 * RetailCRM answered 404 for the entity itself (a task or module that does not exist, e.g. deleted by a
 * manager): `{"success":false,"errorMsg":"Not found"}`. Not the 404 of an unknown API method ("API method
 * not found"), which means a wrong URL or API version.
 */
export function isCrmNotFound(err: unknown): err is RetailCrmError {
  return (
    err instanceof RetailCrmError &&
    err.code === 'RCRM_REJECTED' &&
    err.status === 404 &&
    !/method not found/i.test(err.errorMsg ?? '')
  );
}
