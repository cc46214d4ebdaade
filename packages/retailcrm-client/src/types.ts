// Request and response shapes of the RetailCRM API v5 methods we use. Literal unions follow
// shared/domain/retailcrm.md: note "no answered" (call/event) versus "no answer" (calls/upload), and
// that "missed" is valid nowhere.

export type CallEventType = 'in' | 'out' | 'hangup';
/** hangupStatus of a `hangup` call/event. */
export type HangupStatus = 'answered' | 'busy' | 'cancel' | 'failed' | 'no answered';
/** result of a calls/upload record. */
export type UploadCallResult = 'answered' | 'busy' | 'failed' | 'no answer' | 'not allowed' | 'unknown';

interface CallEventBase {
  /** Client number, any format (required). */
  phone: string;
  /** Extensions to show the popup to; this and/or userIds must be non-empty (also on hangup). */
  codes?: string[];
  userIds?: number[];
  /** Our call id: links the popup to the later history record. */
  callExternalId?: string;
  /** Our DID. */
  externalPhone?: string;
  site?: string;
}

/** Field `event` of POST /api/v5/telephony/call/event. */
export type CallEvent =
  | (CallEventBase & { type: 'in' | 'out'; hangupStatus?: never })
  | (CallEventBase & { type: 'hangup'; hangupStatus?: HangupStatus });

/** One element of field `calls` of POST /api/v5/telephony/calls/upload. */
export interface UploadCall {
  /** Call start, `Y-m-d H:i:s` in the account's time zone (see formatCrmDate). */
  date: string;
  type: 'in' | 'out';
  phone: string;
  /** The manager: extension and/or RetailCRM user id. */
  code?: string;
  userId?: number;
  result?: UploadCallResult;
  /** Talk seconds. */
  duration?: number;
  /** Ring seconds. */
  durationWaiting?: number;
  /** Our call id; the server de-duplicates on it. */
  externalId?: string;
  /** Absolute URL of the recording. */
  recordUrl?: string;
  externalPhone?: string;
  site?: string;
}

export interface CrmSuccess {
  success: true;
}

export interface CallEventResponse extends CrmSuccess {
  notExistCodes?: string[];
  notExistUsers?: number[];
}

export interface UploadCallsResponse extends CrmSuccess {
  processedCallsCount: number;
  duplicateCalls: string[];
}

/**
 * GET /api/credentials. `credentials` lists the API methods the key may call as unversioned paths
 * ('/api/integration-modules/{code}/edit'); `scopes` the key's scope names ('integration_write'), absent
 * on older accounts (api-client-php's ApiTest::testCredentials fixture).
 */
export interface CredentialsResponse extends CrmSuccess {
  credentials: string[];
  scopes?: string[];
  siteAccess: string;
  sitesAvailable?: string[];
}

export interface AdditionalCode {
  userId: number;
  code: string;
}

export interface TelephonySettings {
  makeCallUrl?: string;
  changeUserStatusUrl?: string;
  allowEdit?: boolean;
  inputEventSupported?: boolean;
  outputEventSupported?: boolean;
  hangupEventSupported?: boolean;
  /** Manager ↔ extension map; replaced wholesale on every edit: always send the full list. */
  additionalCodes?: AdditionalCode[];
  externalPhones?: Array<{ siteCode: string; externalPhone: string }>;
}

/** Field `integrationModule` of POST /api/v5/integration-modules/{code}/edit. Never send `actions`. */
export interface IntegrationModule {
  code: string;
  integrationCode?: string;
  active?: boolean;
  name?: string;
  /** URL of an SVG logo. */
  logo?: string;
  clientId?: string;
  /** Required, non-blank. */
  baseUrl: string;
  accountUrl?: string;
  /** Telephony settings count only here, not at the root nor under `configuration`. */
  integrations?: { telephony?: TelephonySettings };
}

export interface EditModuleResponse extends CrmSuccess {
  info?: { notExistUsersIds?: number[] } & Record<string, unknown>;
}

export interface GetModuleResponse extends CrmSuccess {
  integrationModule: IntegrationModule & Record<string, unknown>;
}

export interface CrmUser {
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

export interface UsersQuery {
  page?: number;
  /** 20, 50 or 100. */
  limit?: 20 | 50 | 100;
  /** Sent as `filter[<name>]=<value>` query parameters, e.g. `{ active: 1 }`. */
  filter?: Record<string, string | number | boolean>;
}

export interface Pagination {
  limit: number;
  totalCount: number;
  currentPage: number;
  totalPageCount: number;
}

export interface UsersResponse extends CrmSuccess {
  pagination: Pagination;
  users: CrmUser[];
}

export interface ResponsibleManagerResponse extends CrmSuccess {
  /** Absent when the client has no responsible manager. */
  manager?: { id: number; firstName?: string; lastName?: string; code?: string };
}

/** A customer reference inside a task: by RetailCRM id, or by externalId (in `site` for a multi-store key). */
export type TaskCustomerRef = { id: number } | { externalId: string; site?: string };

/**
 * Field `task` of POST /api/v5/tasks/create (api-client-php's Tasks\Task model). `text` and `performerId`
 * are required; `datetime` is the due time as `Y-m-d H:i` in the account's zone (formatCrmTaskDate).
 */
export interface NewTask {
  text: string;
  /** RetailCRM user id of the manager who must do it. */
  performerId: number;
  datetime?: string;
  commentary?: string;
  customer?: TaskCustomerRef;
  /** The phone the task is about (shown with a call button). */
  phone?: string;
  /** Store code of that phone. */
  phoneSite?: string;
}

/** Field `task` of POST /api/v5/tasks/{id}/edit: only the fields to change (`complete: true` closes it). */
export interface TaskPatch {
  text?: string;
  performerId?: number;
  datetime?: string;
  commentary?: string;
  complete?: boolean;
  customer?: TaskCustomerRef;
  phone?: string;
}

/** A task as GET /api/v5/tasks(/{id}) returns it: the performer as `performer`, not `performerId`. */
export interface CrmTask {
  id: number;
  text: string;
  commentary?: string;
  /** Due, `Y-m-d H:i`. */
  datetime?: string;
  /** `Y-m-d H:i:s`, account zone. */
  createdAt?: string;
  complete: boolean;
  /** `Y-m-d H:i:s`, account zone; only while complete. */
  completedAt?: string;
  performer?: number;
  performerType?: string;
  creator?: number;
  customer?: { type?: string; id?: number; externalId?: string; site?: string };
  order?: { id?: number; number?: string; externalId?: string; site?: string };
  phone?: string;
  phoneSite?: string;
}

/** Answer of a create (tasks/create, customers/create): 201 with the new entity's id. */
export interface CreateResponse extends CrmSuccess {
  id: number;
}

export interface TaskResponse extends CrmSuccess {
  task: CrmTask;
}

/** `filter[…]` of GET /api/v5/tasks (api-client-php's TaskFilter). Dates as `Y-m-d` or `Y-m-d H:i:s`. */
export interface TasksFilter {
  ids?: number[];
  performers?: number[];
  creators?: number[];
  /** performing = open, completed = done. */
  status?: 'performing' | 'completed';
  /** Part of the task text. */
  text?: string;
  /** Customer name, e-mail or phone. */
  customer?: string;
  orderNumber?: string;
  /** Due date range. */
  dateFrom?: string;
  dateTo?: string;
  createdAtFrom?: string;
  createdAtTo?: string;
  completedAtFrom?: string;
  completedAtTo?: string;
}

export interface TasksQuery {
  page?: number;
  limit?: 20 | 50 | 100;
  filter?: TasksFilter;
}

export interface TasksResponse extends CrmSuccess {
  pagination: Pagination;
  tasks: CrmTask[];
}

/**
 * Field `customer` of POST /api/v5/customers/create. RetailCRM does not de-duplicate: look the number up
 * first (telephonyManager). Phones as the caller should see them, e.g. international '+375291234567'.
 */
export interface NewCustomer {
  phones?: Array<{ number: string }>;
  firstName?: string;
  lastName?: string;
  patronymic?: string;
  email?: string;
  /** Our id of the customer; unique per store, so a repeated create is refused instead of duplicated. */
  externalId?: string;
  /** RetailCRM user id of the responsible manager. */
  managerId?: number;
}

/** The responsible manager in a telephony/manager answer (api-client-php's SerializedManager). */
export interface TelephonyManager {
  id: number;
  firstName?: string;
  lastName?: string;
  patronymic?: string;
  email?: string;
  /** The manager's extension (additionalCodes of the module). */
  code?: string;
}

/** The customer in a telephony/manager?details=1 answer (api-client-php's SerializedCustomer). */
export interface TelephonyCustomer {
  id: number;
  /** 'customer' or 'customer_corporate' where RetailCRM sends it; not in the PHP client's model (?). */
  type?: string;
  externalId?: string;
  firstName?: string;
  lastName?: string;
  patronymic?: string;
  email?: string;
  phones?: Array<{ number: string }>;
}

/** Ready URLs of the account's UI in a telephony/manager?details=1 answer (api-client-php's SerializedLinks). */
export interface TelephonyLinks {
  newOrderLink?: string;
  lastOrderLink?: string;
  newCustomerLink?: string;
  customerLink?: string;
}

/** GET /api/v5/telephony/manager: every part may be absent (no manager, unknown number, details=0). */
export interface TelephonyManagerResponse extends CrmSuccess {
  manager?: TelephonyManager;
  customer?: TelephonyCustomer;
  links?: TelephonyLinks;
}
