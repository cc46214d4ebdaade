// Documentation of the host-event routes for the OpenAPI document (openapi/call-intake.json). They
// validate by hand (any Content-Type, JSON text; shared/domain/asterisk-events.md), so these schemas
// only describe them: they are never compiled into validators.
import { HOST_EVENT_TYPES } from '@fleet/asterisk-events';

const error = {
  type: 'object',
  properties: { status: { const: 'error' }, code: { type: 'string' }, message: { type: 'string' } },
};

const hostEvent = {
  summary: 'A host event (POST only; body is JSON whatever the Content-Type says)',
  tags: ['host events'],
  headers: {
    type: 'object',
    properties: { token: { type: 'string', description: 'The host token (also accepted as body field Token)' } },
  },
  body: {
    type: 'object',
    required: ['UniqueId'],
    additionalProperties: true,
    properties: { Token: { type: 'string' }, UniqueId: { type: 'string' } },
    description: 'Fields per event type: shared/domain/asterisk-events.md',
  },
  response: {
    200: {
      description: 'Committed (or an exact retransmission of a committed event)',
      type: 'object',
      properties: { status: { const: 'ok' }, message: { const: 'Event queued for processing' } },
    },
    400: { description: 'Malformed JSON or an invalid event (INTAKE_MALFORMED_BODY, INTAKE_INVALID_EVENT)', ...error },
    403: { description: 'Missing or unknown token, inactive enterprise', ...error },
    413: { description: 'Body above BODY_LIMIT_BYTES', ...error },
    503: { description: 'Storage unavailable: retry (INTAKE_STORAGE_UNAVAILABLE)', ...error },
  },
};

/** Documentation-only schemas keyed by route URL (packages/metrics openapiPlugin `routes`). */
export const openapiRoutes: Record<string, Record<string, unknown>> = {
  ...Object.fromEntries(HOST_EVENT_TYPES.map((t) => [`/${t}`, hostEvent])),
  '/telegram/webhook/:botId': {
    summary: "Telegram's webhook (X-Telegram-Bot-Api-Secret-Token must match the bot's secret)",
    tags: ['telegram'],
  },
  '/health': { summary: 'Process and database health (503 when the database does not answer)', tags: ['ops'] },
  '/stats': { summary: 'Group commit, outbox and dispatcher counters', tags: ['ops'] },
};
