// Bodies PostgreSQL cannot store (jsonbRefusal: NUL, unpaired surrogates, deep nesting) are bad input:
// refused with the service's own 400 before any handler writes them to a jsonb column and turns a
// caller's mistake into a 503.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonbRefusal } from '@fleet/validate/jsonb';

/**
 * Adds a preValidation hook to `app` (call it before registering routes) that throws
 * `badInput(reason)` — the service's coded 400 — for a parsed body jsonbRefusal refuses.
 * Bodies that are not objects (form strings, none) pass through to the routes' own validation.
 */
export function refuseUnstorableBodies(app: FastifyInstance, badInput: (reason: string) => Error): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    if (request.body === null || typeof request.body !== 'object') return;
    const why = jsonbRefusal(request.body);
    if (why) throw badInput(why);
  });
}
