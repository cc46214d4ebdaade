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
