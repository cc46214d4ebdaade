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
