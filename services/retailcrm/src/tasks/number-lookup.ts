// RetailCRM's view of a client number for the steps of a hangup (missed-call tasks, customer creation):
// GET telephony/manager?details=1, which matches every spelling of a stored phone and answers the
// responsible manager and the customer. Journalled as its own exchange, outside any step: it changes
// nothing at RetailCRM, so it may always be asked again.
import type { FastifyInstance } from 'fastify';
import type { TelephonyManagerResponse } from '@fleet/retailcrm-client';
import type { CallEventBody } from '@fleet/call-event';
import type { RetailCrmSettings } from '../domain/settings.ts';

/**
 * telephony/manager?details=1 for the call's client number, journalled (kind 'telephony.manager').
 * @throws RetailCrmError as the client throws it (transient: retry the hangup; refused: the caller decides).
 */
export async function lookupNumber(
  app: FastifyInstance,
  s: RetailCrmSettings,
  b: CallEventBody,
): Promise<TelephonyManagerResponse> {
  const journal = app.rcrmLogs.journal({
    enterprise: s.enterprise,
    kind: 'telephony.manager',
    callId: b.call.callId,
    phone: b.call.phone,
    apiKey: s.apiKey,
  });
  const client = app.rcrmClients.clientFor(
    s.origin,
    s.apiKey,
    (r) => journal.complete(r),
    (a) => journal.begin(a),
  );
  return client.telephonyManager(b.call.phone, { details: true });
}

/** A customer or manager id as RetailCRM sends it (a number, or digits in a string (?)); else undefined. */
export function crmId(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}
