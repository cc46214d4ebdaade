// POST /dispatch/call-event — call-intake's dispatcher hands over one call side effect (dial or hangup)
// and waits for the outcome: the gateway decides which integrations are on (its enablement cache, the
// one place that rule lives), forwards the body to each at once through its breaker, and answers with
// what they said. Nothing is stored here: until this answer, call-intake's outbox row is the one record
// of the side effect, and the dispatcher is the one retry layer of the hop (docs/delivery-path.md).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { callEventBodySchema, type CallEventBody } from '@fleet/call-event';
import { enabledIntegrations, type Integration } from '../domain/enablement.ts';
import { DatabaseUnavailableError, UnknownEnterpriseError } from '../errors.ts';
import type { ForwardFailure } from '../plugins/forwarder.ts';
import { loopbackOnly } from './loopback-only.ts';

/** 200 body: every enabled integration answered 2xx (or none is enabled: 'ignored'). */
export interface DispatchReply {
  status: 'delivered' | 'ignored';
  integrations: Integration[];
  /** Each integration's own answer (its JSON body), e.g. the RetailCRM service's steps. */
  results: Partial<Record<Integration, unknown>>;
}

type Outcome =
  | { integration: Integration; ok: true; response: unknown }
  | { integration: Integration; ok: false; err: Error & Partial<ForwardFailure> };

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Registers POST /dispatch/call-event (loopback only). */
export default async function dispatchRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Body: CallEventBody }>(
    '/dispatch/call-event',
    // onRequest, before the body is parsed and validated: a stranger learns nothing but 403.
    { schema: { body: callEventBodySchema }, onRequest: loopbackOnly },
    async (request, reply) => {
      const b = request.body;
      const log = request.log.child({ enterprise: b.enterprise, callId: b.callId });
      let entry;
      try {
        entry = await app.enablement.get(b.enterprise);
        // A refusal is re-checked against the database: the cache may predate a NOTIFY in flight.
        if (!entry.exists) entry = await app.enablement.get(b.enterprise, { fresh: true });
      } catch (err) {
        throw new DatabaseUnavailableError((err as Error).message);
      }
      if (!entry.exists) throw new UnknownEnterpriseError(b.enterprise);
      const integrations = enabledIntegrations(entry.integrations);
      if (integrations.length === 0) {
        app.dispatches.ignored++;
        log.debug({ event: b.event_type, dedupKey: b.dedup_key }, 'no integration enabled; ignored');
        return { status: 'ignored', integrations: [], results: {} } satisfies DispatchReply;
      }
      const outcomes = await Promise.all(integrations.map((i) => forwardOne(app, i, b)));
      const failed = outcomes.filter((o) => !o.ok);
      if (failed.length === 0) {
        app.dispatches.delivered++;
        log.info({ event: b.event_type, dedupKey: b.dedup_key, integrations }, 'delivered');
        const results = Object.fromEntries(outcomes.map((o) => [o.integration, o.ok ? o.response : null]));
        return { status: 'delivered', integrations, results } satisfies DispatchReply;
      }
      return refuse(app, reply, failed, log);
    },
  );
}

async function forwardOne(app: FastifyInstance, integration: Integration, b: CallEventBody): Promise<Outcome> {
  try {
    const r = await app.breakers.of(b.enterprise, integration).fire(integration, b);
    return { integration, ok: true, response: parse(r.response) };
  } catch (err) {
    return { integration, ok: false, err: err as Error & Partial<ForwardFailure> };
  }
}

/**
 * A permanent refusal of any integration → 422 (the dispatcher dead-letters the row with this body); else
 * 503 with Retry-After (the integration's own, or the breaker's reset time), and the dispatcher retries
 * the whole side effect later — integrations skip what they already did (their own step records).
 */
function refuse(app: FastifyInstance, reply: FastifyReply, failed: Outcome[], log: FastifyInstance['log']) {
  const errors = failed.map((o) => {
    const e = (o as Extract<Outcome, { ok: false }>).err;
    const code =
      (e as { code?: string }).code === 'EOPENBREAKER' ? 'GW_BREAKER_OPEN' : (e.code ?? 'GW_UPSTREAM_TRANSIENT');
    return {
      integration: o.integration,
      code,
      message: e.message,
      upstreamStatus: e.upstreamStatus,
      response: e.response,
      retryAfterMs: e.retryAfterMs,
    };
  });
  const permanent = errors.find((e) => e.code === 'GW_UPSTREAM_PERMANENT');
  if (permanent) {
    app.dispatches.rejected++;
    log.warn({ errors: errors.map(({ response: _r, ...e }) => e) }, 'integration refused the event for good');
    return reply.code(422).send({
      statusCode: 422,
      code: 'GW_UPSTREAM_REJECTED',
      error: 'Unprocessable Entity',
      message: `${permanent.integration}: ${permanent.message}`,
      errors,
    });
  }
  const retryAfterMs = Math.max(0, ...errors.map((e) => e.retryAfterMs ?? (e.code === 'GW_BREAKER_OPEN' ? 1000 : 0)));
  app.dispatches.unavailable++;
  log.warn({ errors: errors.map(({ response: _r, ...e }) => e) }, 'integration unavailable; the dispatcher retries');
  if (retryAfterMs > 0) reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
  return reply.code(503).send({
    statusCode: 503,
    code: errors[0]!.code,
    error: 'Service Unavailable',
    message: `${errors[0]!.integration}: ${errors[0]!.message}`,
    errors,
  });
}
