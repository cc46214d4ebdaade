import type { CallEffect, CallSummary } from '@fleet/call-model';

/** A row for intake_outbox: one side effect the gateway must receive for a customer call. */
export interface OutboxRow {
  enterprise: string;
  callId: string;
  eventType: 'dial' | 'hangup';
  dedupKey: string;
  payload: DispatchPayload;
}

/** Body of `POST /dispatch/call-event` on the gateway (the predecessor's contract plus the call). */
export interface DispatchPayload {
  token: string;
  enterprise: string;
  uniqueId: string;
  event_type: 'dial' | 'hangup';
  dedup_key: string;
  raw: Record<string, unknown> | null;
  record_url: string | null;
  origin: 'live' | 'recovered' | 'timeout';
  call: CallSummary;
  new_extensions: string[];
}

/**
 * Maps a call-model effect to the gateway delivery it requires, or null. Only customer calls go to
 * integrations (internal calls, mobile and consultation legs never reach the CRM); a ringing that
 * adds no internal extension (only a mobile) opens no popup. The effect's key is the dedup key, so a
 * replay or a restart produces the same row and the outbox's unique index drops it.
 */
export function effectToDelivery(
  effect: CallEffect,
  ctx: { enterprise: string; token: string; raw: Record<string, unknown> | null; origin?: 'live' | 'recovered' },
): OutboxRow | null {
  const call = effect.call;
  if (call.kind !== 'customer') return null;
  let eventType: 'dial' | 'hangup';
  let newExtensions: string[] = [];
  if (effect.type === 'call.ringing') {
    if (effect.newExtensions.length === 0) return null;
    eventType = 'dial';
    newExtensions = effect.newExtensions;
  } else if (effect.type === 'call.ended') {
    eventType = 'hangup';
  } else {
    return null;
  }
  const raw = ctx.raw ? { ...ctx.raw } : null;
  if (raw) delete raw.Token; // the token travels once, in its own field
  return {
    enterprise: ctx.enterprise,
    callId: call.callId,
    eventType,
    dedupKey: effect.key,
    payload: {
      token: ctx.token,
      enterprise: ctx.enterprise,
      uniqueId: call.callId,
      event_type: eventType,
      dedup_key: effect.key,
      raw,
      record_url: null,
      origin: call.closedByTimeout ? 'timeout' : (ctx.origin ?? 'live'),
      call,
      new_extensions: newExtensions,
    },
  };
}
