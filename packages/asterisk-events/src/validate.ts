import { createHash } from 'node:crypto';
import { jsonbRefusal } from '@fleet/validate/jsonb';
import { HOST_EVENT_TYPES, type HostEventType } from './types.ts';

/** Longest string value accepted in a host body; real values are < 100 characters. */
export const MAX_FIELD_LENGTH = 512;
/** Most ringing targets accepted in one `Extensions` list. */
export const MAX_EXTENSIONS = 200;
/** Deepest nesting accepted anywhere in a body; hosts post flat objects with one list (depth 2). */
export const MAX_DEPTH = 8;

const STRING_FIELDS = [
  'UniqueId',
  'Phone',
  'Trunk',
  'CallStatus',
  'StartTime',
  'EndTime',
  'DateReceived',
  'BridgeUniqueid',
  'Channel',
  'CallerIDNum',
  'CallerIDName',
  'ConnectedLineNum',
  'ConnectedLineName',
  'Exten',
  'Context',
  'ExtPhone',
  'ExtTrunk',
  'BridgeType',
  'BridgeTechnology',
  'BridgeCreator',
  'BridgeName',
  'Token',
] as const;

/** Fields without which an event of that type cannot be placed in a call. */
const REQUIRED: Record<HostEventType, readonly string[]> = {
  start: ['UniqueId'],
  dial: ['UniqueId'],
  hangup: ['UniqueId'],
  bridge: ['UniqueId', 'BridgeUniqueid'],
  bridge_leave: ['UniqueId', 'BridgeUniqueid'],
  bridge_create: ['BridgeUniqueid'],
  bridge_destroy: ['BridgeUniqueid'],
  new_callerid: ['UniqueId'],
};

export function isHostEventType(value: string): value is HostEventType {
  return (HOST_EVENT_TYPES as readonly string[]).includes(value);
}

export type Validation = { ok: true } | { ok: false; reason: string };

/**
 * Checks a parsed host body against the contract (shared/domain/asterisk-events.md): an object;
 * known string fields are strings (numbers tolerated) of at most MAX_FIELD_LENGTH; CallType 0/1/2 as
 * int or string; Extensions an array of strings; the fields the event type needs are non-empty.
 * Unknown extra fields are accepted (hosts add flags such as ExternalInitiated), as long as the body
 * is storable: nested at most MAX_DEPTH deep, no NUL and no unpaired surrogate in keys or strings.
 */
export function validateHostBody(type: HostEventType, body: unknown): Validation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'body must be a JSON object' };
  }
  const b = body as Record<string, unknown>;
  // Storable in jsonb (no NUL, no unpaired surrogate, not nested deeper than MAX_DEPTH): such a body
  // failed its whole group-commit batch with a 503.
  const why = jsonbRefusal(b, MAX_DEPTH);
  if (why) return { ok: false, reason: why };
  for (const f of STRING_FIELDS) {
    const v = b[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number') return { ok: false, reason: `${f} must be a string` };
    if (String(v).length > MAX_FIELD_LENGTH) return { ok: false, reason: `${f} is longer than ${MAX_FIELD_LENGTH}` };
  }
  if (b.CallType !== undefined && b.CallType !== null && b.CallType !== '') {
    const ct = typeof b.CallType === 'string' ? Number(b.CallType) : b.CallType;
    if (ct !== 0 && ct !== 1 && ct !== 2) return { ok: false, reason: 'CallType must be 0, 1 or 2' };
  }
  if (b.Extensions !== undefined && b.Extensions !== null) {
    if (!Array.isArray(b.Extensions)) return { ok: false, reason: 'Extensions must be an array of strings' };
    if (b.Extensions.length > MAX_EXTENSIONS)
      return { ok: false, reason: `Extensions has more than ${MAX_EXTENSIONS} items` };
    for (const e of b.Extensions) {
      if (typeof e !== 'string' && typeof e !== 'number')
        return { ok: false, reason: 'Extensions must be an array of strings' };
      if (String(e).length > MAX_FIELD_LENGTH) return { ok: false, reason: 'an Extensions item is too long' };
    }
  }
  if (
    b.BridgeNumChannels !== undefined &&
    b.BridgeNumChannels !== '' &&
    !/^\d{1,4}$/.test(String(b.BridgeNumChannels))
  ) {
    return { ok: false, reason: 'BridgeNumChannels must be a small number' };
  }
  for (const f of REQUIRED[type]) {
    const v = b[f];
    if (v === undefined || v === null || String(v).trim() === '')
      return { ok: false, reason: `${f} is required for ${type}` };
  }
  return { ok: true };
}

/**
 * The host's token: the body's `Token` when present, else the `Token` header (hosts sometimes wrap it
 * in double quotes). null when neither carries one.
 */
export function extractToken(body: Record<string, unknown>, header: string | string[] | undefined): string | null {
  const fromBody = typeof body.Token === 'string' || typeof body.Token === 'number' ? String(body.Token).trim() : '';
  if (fromBody) return fromBody;
  const h = (Array.isArray(header) ? header[0] : header)
    ?.trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();
  return h ? h : null;
}

/** JSON with object keys sorted at every depth, so equal bodies hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Idempotency key of an event: sha256 over the event type and the canonical body. Two posts with the
 * same type and the same body (a host recovery job, a replay) are the same event. Identical bodies
 * that a host repeats on purpose (a stepwise dial with an unchanged Extensions list) carry no new
 * information for the call model, so folding them is harmless.
 */
export function eventIdempotencyKey(type: HostEventType, body: Record<string, unknown>): string {
  return createHash('sha256').update(type).update('\n').update(canonicalJson(body)).digest('base64url');
}
