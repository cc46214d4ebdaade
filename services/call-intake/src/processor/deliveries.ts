import type { CallEffect } from '@fleet/call-model';
import type { CallEventBody } from '@fleet/call-event';

/** A row for intake_outbox: one side effect the integrations must receive for a customer call. */
export interface OutboxRow {
  enterprise: string;
  callId: string;
  eventType: 'dial' | 'hangup';
  dedupKey: string;
  payload: CallEventBody;
}

/**
 * Maps a call-model effect to the side effect integrations must receive, or null. Only customer calls
 * go to integrations (internal calls, mobile and consultation legs never reach the CRM); a ringing
 * that adds no internal extension (only a mobile) opens no popup. The effect's key is the dedup key,
 * so a replay or a restart produces the same row and the outbox's unique index drops it. The body is
 * the one contract every hop reads (@fleet/call-event): no host token, no raw host event.
 */
export function effectToDelivery(
  effect: CallEffect,
  ctx: { enterprise: string; origin?: 'live' | 'recovered' },
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
  return {
    enterprise: ctx.enterprise,
    callId: call.callId,
    eventType,
    dedupKey: effect.key,
    payload: {
      enterprise: ctx.enterprise,
      callId: call.callId,
      event_type: eventType,
      dedup_key: effect.key,
      call,
      new_extensions: newExtensions,
      record_url: null,
      origin: call.closedByTimeout ? 'timeout' : (ctx.origin ?? 'live'),
    },
  };
}
