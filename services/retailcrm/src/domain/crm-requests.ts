// What RetailCRM is told about a call: the popup events and the history record. Pure functions of the
// call summary and the enterprise's settings; rules from shared/domain/retailcrm.md.
import {
  formatCrmDate,
  recordUrlOf,
  type CallEvent,
  type HangupStatus,
  type UploadCall,
} from '@fleet/retailcrm-client';
import type { RetailCrmSettings } from './settings.ts';
// The call model's own normaliser (how it compares numbers), so a mapped mobile matches answeredBy.
import { digits, type CallResult, type CallSummary } from '@fleet/call-model';

/** An internal extension has 2–5 digits (shared/domain/asterisk-events.md); anything else is not a code. */
const EXTENSION = /^\d{2,5}$/;

/** Who sees the popup: the extensions, and the RetailCRM users mapped to them. */
export interface Audience {
  codes: string[];
  userIds: number[];
}

/**
 * Extensions → codes plus the userIds mapped to them in user_extensions. An extension nobody is
 * mapped to stays a code only: we never fall back to some other manager (the predecessor's bug).
 */
export function audienceOf(extensions: readonly string[], s: RetailCrmSettings): Audience {
  const codes = [...new Set(extensions.map((e) => e.trim()).filter((e) => EXTENSION.test(e)))];
  const userIds = Object.entries(s.userExtensions)
    .filter(([, ext]) => codes.includes(ext))
    .map(([id]) => Number(id))
    .sort((a, b) => a - b);
  return { codes, userIds };
}

const withAudience = (a: Audience) => ({ codes: a.codes, ...(a.userIds.length ? { userIds: a.userIds } : {}) });

/** The popup of a dial: in/out by the call's direction. */
export function dialEvent(call: CallSummary, audience: Audience): CallEvent {
  return {
    type: call.direction === 'out' ? 'out' : 'in',
    phone: call.phone,
    ...withAudience(audience),
    callExternalId: call.callId,
  };
}

/** call/event says "no answered" where calls/upload says "no answer". */
const HANGUP_STATUS: Record<CallResult, HangupStatus> = {
  answered: 'answered',
  'no answer': 'no answered',
  busy: 'busy',
  failed: 'failed',
};

export function resultOf(call: CallSummary): CallResult {
  return call.result ?? (call.answered ? 'answered' : 'no answer');
}

/** The end of the popup, shown to everybody who rang. */
export function hangupEvent(call: CallSummary, audience: Audience): CallEvent {
  return {
    type: 'hangup',
    hangupStatus: HANGUP_STATUS[resultOf(call)],
    phone: call.phone,
    ...withAudience(audience),
    callExternalId: call.callId,
  };
}

/**
 * The manager the history record names: who answered, or for an outgoing call the extension that
 * dialled. A mobile (FollowMe) answer names the extension the operator gave that mobile
 * (`fleet extension add --mobile`, settings.mobileExtensions, compared as digits like the call model
 * does); an unmapped mobile names nobody: RetailCRM codes are extensions only, and the events cannot
 * tell whose mobile it is (packages/call-model README, "answered only on a mobile").
 */
export function managerOf(call: CallSummary, s: RetailCrmSettings): { code?: string; userId?: number } {
  const who = call.answeredBy ?? (call.direction === 'out' ? call.ringing[0] : undefined);
  if (!who) return {};
  const ext = EXTENSION.test(who) ? who : s.mobileExtensions[digits(who)];
  if (!ext) return {};
  const userId = Object.entries(s.userExtensions).find(([, e]) => e === ext)?.[0];
  return { code: ext, ...(userId ? { userId: Number(userId) } : {}) };
}

/** The call-history record (calls/upload), its date in the enterprise's time zone. */
export function historyRecord(
  call: CallSummary,
  s: RetailCrmSettings,
  recordUrl: string | null | undefined,
): UploadCall {
  const url = recordUrl || recordUrlOf(s.recordUrlTemplate, s.enterprise, call);
  return {
    date: formatCrmDate(call.startedAt, s.timezone),
    type: call.direction === 'out' ? 'out' : 'in',
    phone: call.phone,
    ...managerOf(call, s),
    result: resultOf(call),
    duration: Math.max(0, Math.round(call.durationSec ?? 0)),
    ...(call.waitSec === null ? {} : { durationWaiting: Math.max(0, Math.round(call.waitSec)) }),
    externalId: call.callId,
    ...(url ? { recordUrl: url } : {}),
  };
}
