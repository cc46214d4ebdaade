// POST /dispatch/call-event — call-intake hands over one call side effect (dial or hangup). The answer
// is 200 only once a delivery row per enabled integration has committed: from then on the gateway owns
// the retries, and a repeated dispatch (same dedup_key) changes nothing.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { enabledIntegrations } from '../domain/enablement.ts';
import { forwardBodyOf, type DispatchBody } from '../domain/payload.ts';
import { BadTokenError, DatabaseUnavailableError, UnknownEnterpriseError } from '../errors.ts';
import { digestToken, type EnterpriseEntry } from '../plugins/enablement-cache.ts';
import { insertDeliveries } from '../plugins/delivery-store.ts';
import { loopbackOnly } from './loopback-only.ts';

const strings = { type: 'array', items: { type: 'string' } } as const;

const bodySchema = {
  type: 'object',
  required: ['token', 'enterprise', 'uniqueId', 'event_type', 'dedup_key', 'call'],
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 128 },
    enterprise: { type: 'string', pattern: '^[0-9]{1,16}$' },
    uniqueId: { type: 'string', minLength: 1, maxLength: 150 },
    event_type: { enum: ['dial', 'hangup'] },
    dedup_key: { type: 'string', minLength: 1, maxLength: 200 },
    // null when the passing of time (settle, close without hangup) produced the effect, not an event.
    raw: { type: ['object', 'null'] },
    record_url: { type: ['string', 'null'], maxLength: 2000 },
    origin: { enum: ['live', 'recovered', 'timeout'] },
    new_extensions: strings,
    call: {
      type: 'object',
      required: ['callId', 'kind', 'direction', 'phone', 'ringing', 'status'],
      properties: {
        callId: { type: 'string', minLength: 1 },
        kind: { enum: ['customer', 'internal'] },
        direction: { enum: ['in', 'out', 'internal'] },
        phone: { type: 'string' },
        trunk: { type: 'string' },
        ringing: strings,
        status: { enum: ['ringing', 'talking', 'ended'] },
      },
    },
  },
} as const;

const tokenMatches = (entry: EnterpriseEntry, token: string): boolean =>
  entry.tokenDigest !== null && timingSafeEqual(entry.tokenDigest, digestToken(token));

/** Registers POST /dispatch/call-event (loopback only). */
export default async function dispatchRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Body: DispatchBody }>(
    '/dispatch/call-event',
    // onRequest, before the body is parsed and validated: a stranger learns nothing but 403.
    { schema: { body: bodySchema }, onRequest: loopbackOnly },
    async (request) => {
      const b = request.body;
      const log = request.log.child({ enterprise: b.enterprise, callId: b.uniqueId });
      let entry: EnterpriseEntry;
      try {
        entry = await app.enablement.get(b.enterprise);
        // A refusal is re-checked against the database: the cache may predate a NOTIFY in flight.
        if (!entry.exists || !tokenMatches(entry, b.token)) entry = await app.enablement.get(b.enterprise, { fresh: true });
      } catch (err) {
        throw new DatabaseUnavailableError((err as Error).message);
      }
      if (!entry.exists) throw new UnknownEnterpriseError(b.enterprise);
      if (!tokenMatches(entry, b.token)) throw new BadTokenError(b.enterprise);

      const integrations = enabledIntegrations(entry.integrations);
      if (integrations.length === 0) {
        log.debug({ event: b.event_type, dedupKey: b.dedup_key }, 'no integration enabled; ignored');
        return { status: 'ignored', integrations: [] };
      }
      let inserted: number;
      try {
        inserted = await insertDeliveries(app.sql, integrations, forwardBodyOf(b));
      } catch (err) {
        throw new DatabaseUnavailableError((err as Error).message);
      }
      log.info({ event: b.event_type, dedupKey: b.dedup_key, integrations, inserted }, 'call event accepted');
      app.deliveryWorker.kick();
      return { status: 'accepted', integrations, duplicate: inserted === 0 };
    },
  );
}
