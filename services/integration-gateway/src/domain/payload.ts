// What the gateway stores per delivery and forwards to an integration's service.
import type { CallSummary } from '@fleet/call-model';

export type CallEventType = 'dial' | 'hangup';
export type Origin = 'live' | 'recovered' | 'timeout';

/** The dispatch body from call-intake (token and raw host event are deliberately not stored). */
export interface DispatchBody {
  token: string;
  enterprise: string;
  uniqueId: string;
  event_type: CallEventType;
  dedup_key: string;
  raw?: Record<string, unknown>;
  record_url?: string | null;
  origin?: Origin;
  call: CallSummary;
  new_extensions?: string[];
}

/** The body POSTed to `{service}/internal/<integration>/call-event`. */
export interface ForwardBody {
  enterprise: string;
  callId: string;
  event_type: CallEventType;
  dedup_key: string;
  synthetic: boolean;
  call: CallSummary;
  new_extensions: string[];
  record_url: string | null;
  origin: Origin;
}

/** The stored payload of a delivery row: the forward body, built once at dispatch. */
export function forwardBodyOf(d: DispatchBody): ForwardBody {
  return {
    enterprise: d.enterprise,
    callId: d.uniqueId,
    event_type: d.event_type,
    dedup_key: d.dedup_key,
    synthetic: false,
    call: d.call,
    new_extensions: d.new_extensions ?? [],
    record_url: d.record_url ?? null,
    origin: d.origin ?? 'live',
  };
}

/** dedup_key of the synthetic dial row written when a hangup needed one. */
export const SYNTHETIC_DIAL_KEY = 'dial:synthetic';

/**
 * The dial sent before a hangup whose call never had a dial delivered, so the CRM popup opens (and the
 * hangup then closes it) and the call is logged: built from the hangup's call, ringing codes = call.ringing.
 */
export function syntheticDialOf(hangup: ForwardBody): ForwardBody {
  return {
    ...hangup,
    event_type: 'dial',
    dedup_key: SYNTHETIC_DIAL_KEY,
    synthetic: true,
    new_extensions: [...hangup.call.ringing],
    record_url: null,
  };
}
