import type { Dispatcher } from 'undici';
import { RetailCrmError } from './errors.ts';
import { parseCrmOrigin } from './origin.ts';
import { createRateLimiter, type RateLimiter } from './limiter.ts';
import { send, type CrmAttempt, type CrmExchange, type RetryPolicy, type TransportOptions } from './transport.ts';
import { createCustomer, createTask, editTask, getTask, listTasks, telephonyManager } from './tasks.ts';
import type {
  CallEvent,
  CreateResponse,
  CrmSuccess,
  NewCustomer,
  NewTask,
  TaskPatch,
  TaskResponse,
  TasksQuery,
  TasksResponse,
  TelephonyManagerResponse,
  CallEventResponse,
  CredentialsResponse,
  EditModuleResponse,
  GetModuleResponse,
  IntegrationModule,
  ResponsibleManagerResponse,
  UploadCall,
  UploadCallsResponse,
  UsersQuery,
  UsersResponse,
} from './types.ts';

export interface RetailCrmClientOptions {
  /** Account origin or host: 'https://acme.retailcrm.ru' or 'acme.retailcrm.ru'; http only for loopback. */
  domain: string;
  apiKey: string;
  /** Per attempt, ms (default 3000). */
  timeoutMs?: number;
  /** undici dispatcher (an Agent shared by the service; a MockAgent in tests). Default: undici's global. */
  dispatcher?: Dispatcher;
  /** The process-wide per-key limiter. Default: a private one, which does NOT coordinate with other clients. */
  limiter?: RateLimiter;
  retry?: RetryPolicy;
  /** Called after every attempt (request + response or error), e.g. to write integration_logs. */
  onExchange?: (x: CrmExchange) => void | Promise<void>;
  /** Awaited before every attempt is sent (its journal entry); a rejection cancels it with RCRM_NOT_SENT. */
  onAttempt?: (a: CrmAttempt) => Promise<void>;
}

/** RetailCRM API v5 methods the telephony integration uses. Every method throws RetailCrmError. */
export interface RetailCrmClient {
  /** The API origin requests go to (no key). */
  readonly origin: string;
  /** POST /api/v5/telephony/call/event: popup (in/out) or its end (hangup). */
  callEvent(event: CallEvent): Promise<CallEventResponse>;
  /** POST /api/v5/telephony/calls/upload with 1..50 calls; repeats come back in duplicateCalls. */
  uploadCalls(calls: UploadCall[]): Promise<UploadCallsResponse>;
  /** GET /api/credentials: the key's scopes and sites. */
  credentials(): Promise<CredentialsResponse>;
  /** GET /api/v5/integration-modules/{code}. */
  getIntegrationModule(code: string): Promise<GetModuleResponse>;
  /** POST /api/v5/integration-modules/{code}/edit (create or update; additionalCodes replaced wholesale). */
  editIntegrationModule(code: string, module: IntegrationModule): Promise<EditModuleResponse>;
  /** GET /api/v5/users with page, limit (20|50|100) and filter[…]. */
  users(query?: UsersQuery): Promise<UsersResponse>;
  /** GET /api/v5/telephony/manager?phone=…: the client's responsible manager, if any. */
  responsibleManager(
    phone: string,
    opts?: { details?: boolean; ignoreStatus?: boolean },
  ): Promise<ResponsibleManagerResponse>;
  /**
   * GET /api/v5/telephony/manager?phone=…&details=0|1&ignoreStatus=0|1 (api-client-php's ManagerResponse):
   * `manager` {id, firstName, lastName, patronymic, email, code} when the client has a responsible manager;
   * with details, `customer` {id, externalId, firstName, lastName, patronymic, email, phones} when RetailCRM
   * knows the number (any format), and `links` {newOrderLink, lastOrderLink, newCustomerLink,
   * customerLink}: absolute URLs of the account's UI, each optional. Telephony rate bucket (40/s).
   * @throws RetailCrmError RCRM_INVALID_REQUEST for an empty phone; RCRM_UNAUTHORIZED without telephony_read.
   */
  telephonyManager(
    phone: string,
    opts?: { details?: boolean; ignoreStatus?: boolean },
  ): Promise<TelephonyManagerResponse>;
  /**
   * POST /api/v5/tasks/create: `task` {text, performerId (required), datetime 'Y-m-d H:i' in the account's
   * zone, customer {id}, phone, commentary}, `site` as a separate form field (api-client-php's
   * TasksCreateRequest). Resolves {success, id} (HTTP 201). NOT repeatable: after an unknown outcome
   * (timeout, dropped connection, 5xx) it is not retried, since a repeat would create a second task;
   * the error says unknownOutcome and the caller must find out (listTasks) before creating again.
   * @throws RetailCrmError RCRM_INVALID_REQUEST (blank text, performerId not a positive integer, datetime
   *   not 'Y-m-d H:i'), RCRM_REJECTED 400 'Task is not loaded' with `errors` by field, RCRM_UNAUTHORIZED
   *   without task_write.
   */
  createTask(task: NewTask, opts?: { site?: string }): Promise<CreateResponse>;
  /**
   * POST /api/v5/tasks/{id}/edit with `task` = the fields to change, e.g. {complete: true, commentary}.
   * Repeatable (an edit sets fields). Resolves {success: true}.
   * @throws RetailCrmError RCRM_REJECTED with status 404 for a task that no longer exists (deleted in
   *   RetailCRM: see isCrmNotFound), RCRM_REJECTED 400 for invalid fields, RCRM_INVALID_REQUEST for a bad id.
   */
  editTask(id: number, patch: TaskPatch, opts?: { site?: string }): Promise<CrmSuccess>;
  /**
   * GET /api/v5/tasks/{id}: {success, task} with `performer` (user id), `complete`, `completedAt`
   * ('Y-m-d H:i:s'). A task a manager closed in RetailCRM reads complete: true.
   * @throws RetailCrmError RCRM_REJECTED status 404 for an unknown task (isCrmNotFound).
   */
  getTask(id: number): Promise<TaskResponse>;
  /**
   * GET /api/v5/tasks with page, limit (20|50|100) and filter (performers[], status performing|completed,
   * text, customer, ids[], date ranges), array filters sent as `filter[x][]=v`. Resolves {pagination, tasks}.
   * @throws RetailCrmError RCRM_REJECTED 400 'Errors in the input parameters' for a bad filter.
   */
  listTasks(query?: TasksQuery): Promise<TasksResponse>;
  /**
   * POST /api/v5/customers/create with `customer` {phones: [{number}], names…, externalId, managerId} and
   * `site` as a separate form field. Resolves {success, id} (HTTP 201). RetailCRM does not de-duplicate by
   * phone, so look the number up first (telephonyManager with details); NOT repeatable after an unknown
   * outcome (an externalId makes a repeat fail instead of duplicating).
   * @throws RetailCrmError RCRM_INVALID_REQUEST for a phone without number, RCRM_REJECTED 400 for invalid
   *   fields, RCRM_UNAUTHORIZED without customer_write.
   */
  createCustomer(customer: NewCustomer, opts?: { site?: string }): Promise<CreateResponse>;
}

/**
 * Creates a client for one account. Throws RetailCrmError RCRM_INVALID_REQUEST on a non-https domain.
 * Contract: shared/domain/retailcrm.md.
 */
export function createRetailCrmClient(opts: RetailCrmClientOptions): RetailCrmClient {
  if (!opts.apiKey)
    throw new RetailCrmError({ code: 'RCRM_INVALID_REQUEST', transient: false, message: 'apiKey is empty' });
  const t: TransportOptions = {
    origin: parseCrmOrigin(opts.domain),
    apiKey: opts.apiKey,
    timeoutMs: opts.timeoutMs ?? 3000,
    dispatcher: opts.dispatcher,
    limiter: opts.limiter ?? createRateLimiter(),
    retry: opts.retry ?? {},
    onExchange: opts.onExchange,
    onAttempt: opts.onAttempt,
  };
  const enc = encodeURIComponent;
  return {
    origin: t.origin,
    callEvent: (event) =>
      // No idempotency key at RetailCRM: a repeat opens or closes the popup again.
      send(t, {
        method: 'POST',
        path: '/api/v5/telephony/call/event',
        bucket: 'telephony',
        fields: { event },
        repeatable: false,
      }),
    uploadCalls: (calls) => {
      if (calls.length < 1 || calls.length > 50) {
        return Promise.reject(
          new RetailCrmError({
            code: 'RCRM_INVALID_REQUEST',
            transient: false,
            message: `calls/upload takes 1..50 calls, got ${calls.length}`,
          }),
        );
      }
      return send(t, {
        method: 'POST',
        path: '/api/v5/telephony/calls/upload',
        bucket: 'telephony',
        fields: { calls },
      });
    },
    credentials: () => send(t, { method: 'GET', path: '/api/credentials', bucket: 'general' }),
    getIntegrationModule: (code) =>
      send(t, { method: 'GET', path: `/api/v5/integration-modules/${enc(code)}`, bucket: 'general' }),
    editIntegrationModule: (code, module) =>
      send(t, {
        method: 'POST',
        path: `/api/v5/integration-modules/${enc(code)}/edit`,
        bucket: 'general',
        fields: { integrationModule: module },
      }),
    users: (q = {}) => {
      const query: Record<string, string> = {};
      if (q.page !== undefined) query.page = String(q.page);
      if (q.limit !== undefined) query.limit = String(q.limit);
      for (const [k, v] of Object.entries(q.filter ?? {}))
        query[`filter[${k}]`] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      return send(t, { method: 'GET', path: '/api/v5/users', bucket: 'general', query });
    },
    responsibleManager: (phone, o = {}) =>
      send(t, {
        method: 'GET',
        path: '/api/v5/telephony/manager',
        bucket: 'telephony',
        query: { phone, details: o.details ? '1' : '0', ignoreStatus: o.ignoreStatus ? '1' : '0' },
      }),
    telephonyManager: (phone, o) => telephonyManager(t, phone, o),
    createTask: (task, o) => createTask(t, task, o),
    editTask: (id, patch, o) => editTask(t, id, patch, o),
    getTask: (id) => getTask(t, id),
    listTasks: (q) => listTasks(t, q),
    createCustomer: (customer, o) => createCustomer(t, customer, o),
  };
}
