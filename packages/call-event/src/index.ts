// The one contract of a call side effect on its way to an integration: what call-intake's processor
// stores in intake_outbox, what the dispatcher POSTs to the gateway's /dispatch/call-event and what the
// gateway forwards unchanged to `{integration}/internal/<integration>/call-event`. One type and one
// JSON schema for every hop (before: three bodies that disagreed on required fields).
import type { CallSummary } from '@fleet/call-model';

export type CallEventType = 'dial' | 'hangup';
/** live: a host event; recovered: read back from the host's post log; timeout: closed without a hangup. */
export type CallEventOrigin = 'live' | 'recovered' | 'timeout';

/** One side effect of a customer call (a popup to open, or the end of the call). */
export interface CallEventBody {
  /** Enterprise number (digits). */
  enterprise: string;
  /** The call's UniqueId (CallSummary.callId). */
  callId: string;
  event_type: CallEventType;
  /** Names the side effect within the call (the call model's effect key): the idempotency key. */
  dedup_key: string;
  /** The call as the model sees it after this effect. */
  call: CallSummary;
  /** dial: the extensions that started ringing with this effect (the popup's audience). */
  new_extensions: string[];
  record_url: string | null;
  origin: CallEventOrigin;
}

const strings = { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 200 } as const;
const nullableInt = { type: ['number', 'null'], minimum: 0 } as const;

/**
 * JSON schema of CallEventBody (Fastify/ajv). The call is checked for the fields integrations read;
 * other CallSummary fields pass through untouched.
 */
export const callEventBodySchema = {
  type: 'object',
  required: ['enterprise', 'callId', 'event_type', 'dedup_key', 'call'],
  properties: {
    enterprise: { type: 'string', pattern: '^[0-9]{1,16}$' },
    callId: { type: 'string', minLength: 1, maxLength: 200 },
    event_type: { enum: ['dial', 'hangup'] },
    dedup_key: { type: 'string', minLength: 1, maxLength: 200 },
    new_extensions: strings,
    record_url: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] },
    origin: { enum: ['live', 'recovered', 'timeout'] },
    call: {
      type: 'object',
      required: [
        'callId',
        'kind',
        'direction',
        'phone',
        'ringing',
        'answered',
        'answeredBy',
        'result',
        'startedAt',
        'durationSec',
        'waitSec',
      ],
      properties: {
        callId: { type: 'string', minLength: 1, maxLength: 200 },
        kind: { enum: ['customer', 'internal'] },
        direction: { enum: ['in', 'out', 'internal'] },
        phone: { type: 'string', maxLength: 64 },
        trunk: { type: 'string' },
        ringing: strings,
        mobiles: strings,
        answered: { type: 'boolean' },
        answeredBy: { type: ['string', 'null'] },
        result: { enum: ['answered', 'no answer', 'busy', 'failed', null] },
        startedAt: { type: 'number', minimum: 0 },
        durationSec: nullableInt,
        waitSec: nullableInt,
      },
    },
  },
} as const;
