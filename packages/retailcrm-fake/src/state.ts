// What the fake accepted and rejected, for test assertions, `GET /_fake/state` and summarize().
export type RateBucket = 'telephony' | 'general';

export interface FakeUser {
  id: number;
  firstName?: string;
  lastName?: string;
  email?: string;
  active?: boolean;
  status?: 'free' | 'busy' | 'dinner' | 'break';
  online?: boolean;
  isManager?: boolean;
  groups?: unknown[];
}

export interface AcceptedEvent {
  receivedAt: number;
  /** Label of the API key (never the key). */
  key: string;
  event: Record<string, unknown> & {
    type: string;
    phone: string;
    callExternalId?: string;
    codes?: string[];
    userIds?: number[];
    hangupStatus?: string;
  };
}

export interface AcceptedUpload {
  receivedAt: number;
  key: string;
  call: Record<string, unknown> & { externalId?: string; type: string; phone: string; date: string; result?: string };
}

/**
 * A task as GET /api/v5/tasks/{id} shows it (api-client-php's Tasks\Task model and TasksTest fixture):
 * the performer comes back as `performer` (+ `performerType`), though it is sent as `performerId`.
 */
export interface CrmTask {
  id: number;
  text: string;
  commentary?: string;
  /** Due time, `Y-m-d H:i`. */
  datetime?: string;
  /** `Y-m-d H:i:s`. */
  createdAt: string;
  complete: boolean;
  /** `Y-m-d H:i:s`, while complete. */
  completedAt?: string;
  performer: number;
  performerType: 'user';
  customer?: { type: 'customer'; id: number; externalId?: string; site?: string };
  order?: Record<string, unknown>;
  phone?: string;
  phoneSite?: string;
}

export interface StoredTask {
  /** Creation time (ms); 'seed' tasks too. */
  receivedAt: number;
  /** Label of the API key that created it; undefined for a task the fake was told about (closeTask…). */
  key?: string;
  /** The `site` form field it was created with. */
  site?: string;
  /** Live: edits change it. */
  task: CrmTask;
}

/** One accepted tasks/{id}/edit: the `task` field as sent. */
export interface TaskEdit {
  receivedAt: number;
  key: string;
  id: number;
  task: Record<string, unknown>;
}

/** A customer as RetailCRM stores it (customers/create `customer` + `id`, `site`, `createdAt`). */
export type CrmCustomer = Record<string, unknown> & {
  id: number;
  phones: Array<{ number: string }>;
  externalId?: string;
  firstName?: string;
  lastName?: string;
  managerId?: number;
};

export interface StoredCustomer {
  /**
   * 'api': created through customers/create (`key` says by which key); 'seed': the `customers` option;
   * 'legacy': the `customerByPhone` option, whose object telephony/manager answers as given.
   */
  source: 'api' | 'seed' | 'legacy';
  receivedAt: number;
  key?: string;
  customer: CrmCustomer;
  /** Fake-only: the id of the customer's last order, for links.lastOrderLink. */
  lastOrderId?: number;
}

export type RejectionReason =
  | 'missing_api_key'
  | 'wrong_api_key'
  | 'scope'
  | 'rate_limit'
  | 'fault_503'
  | 'missing_parameter'
  | 'non_scalar'
  | 'invalid_json'
  | 'validation'
  | 'not_found'
  | 'unknown_method';

export interface Rejection {
  at: number;
  method: string;
  path: string;
  status: number;
  reason: RejectionReason;
  errorMsg: string;
  errors?: unknown;
}

export interface RateStats {
  /** Highest number of requests seen in one calendar second. */
  max: number;
  /** Requests per epoch second. */
  bySecond: Record<string, number>;
}

export interface FakeState {
  /** Every /api request that passed authentication. */
  requests: number;
  events: AcceptedEvent[];
  /** Each newly accepted call of calls/upload (repeats of an externalId are not here). */
  uploads: AcceptedUpload[];
  duplicateUploads: number;
  modules: Record<string, Record<string, unknown>>;
  /** Telephony settings sent where RetailCRM silently ignores them (module root, `configuration`). */
  ignoredModuleFields: Array<{ code: string; fields: string[] }>;
  rejections: Rejection[];
  /** Every task, created through tasks/create (or seeded), in id order; edits change them in place. */
  tasks: StoredTask[];
  /** Each accepted tasks/{id}/edit, in order. */
  taskEdits: TaskEdit[];
  /** Every customer the account knows: seeded ones first, then customers/create ones. */
  customers: StoredCustomer[];
  /** Fields of tasks/create, tasks/{id}/edit and customers/create that RetailCRM does not read (ignored). */
  ignoredFields: Array<{ path: string; fields: string[] }>;
  /** Per API key label, per bucket: requests counted at arrival (including those over the limit). */
  requestsPerSecond: Record<string, Record<RateBucket, RateStats>>;
}

export function createState(modules: Record<string, Record<string, unknown>> = {}): FakeState {
  return {
    requests: 0,
    events: [],
    uploads: [],
    duplicateUploads: 0,
    modules: structuredClone(modules),
    ignoredModuleFields: [],
    rejections: [],
    tasks: [],
    taskEdits: [],
    customers: [],
    ignoredFields: [],
    requestsPerSecond: {},
  };
}

export function countRequest(state: FakeState, key: string, bucket: RateBucket, nowMs: number): void {
  state.requests += 1;
  const perKey = (state.requestsPerSecond[key] ??= {
    telephony: { max: 0, bySecond: {} },
    general: { max: 0, bySecond: {} },
  });
  const stats = perKey[bucket];
  const second = String(Math.floor(nowMs / 1000));
  const n = (stats.bySecond[second] ?? 0) + 1;
  stats.bySecond[second] = n;
  if (n > stats.max) stats.max = n;
}
