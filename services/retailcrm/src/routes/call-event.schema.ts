// JSON schema of POST /internal/retailcrm/call-event (the gateway's ForwardBody). The call is checked
// for the fields this service reads; other CallSummary fields pass through untouched.
import type { CallSummary } from '@fleet/call-model';

export interface CallEventBody {
  enterprise: string;
  callId: string;
  event_type: 'dial' | 'hangup';
  dedup_key: string;
  synthetic?: boolean;
  call: CallSummary;
  new_extensions?: string[];
  record_url?: string | null;
  origin?: string;
}

const strings = { type: 'array', items: { type: 'string' }, maxItems: 200 } as const;
const nullableInt = { type: ['number', 'null'], minimum: 0 } as const;

export const callEventSchema = {
  body: {
    type: 'object',
    required: ['enterprise', 'callId', 'event_type', 'dedup_key', 'call'],
    properties: {
      enterprise: { type: 'string', pattern: '^[0-9]{1,16}$' },
      callId: { type: 'string', minLength: 1, maxLength: 200 },
      event_type: { enum: ['dial', 'hangup'] },
      dedup_key: { type: 'string', minLength: 1, maxLength: 200 },
      synthetic: { type: 'boolean' },
      new_extensions: strings,
      record_url: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] },
      origin: { type: 'string', maxLength: 50 },
      call: {
        type: 'object',
        required: ['callId', 'kind', 'direction', 'phone', 'ringing', 'answered', 'answeredBy', 'result', 'startedAt', 'durationSec', 'waitSec'],
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
  },
} as const;
