// OpenAPI documents generated from the route schemas (@fastify/swagger). Registered early in buildApp
// so its onRoute hook sees every route; `app.swagger()` then returns the document (scripts/openapi.ts
// writes it to openapi/<service>.json, and a test fails when the committed file is stale).
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export interface OpenApiOptions {
  /** Document title, e.g. "call-intake". */
  title: string;
  description: string;
  /** API version shown in the document (not the package version, so releases do not churn the files). */
  version?: string;
  /**
   * Documentation-only schema parts for routes that validate by hand (keyed by URL pattern): merged
   * under the route's own schema in the document; validation and serialisation are untouched.
   */
  routes?: Record<string, Record<string, unknown>>;
}

/** Registers @fastify/swagger (OpenAPI 3.0) for the app; no route is added (the document is a build artefact). */
export const openapiPlugin = fp(
  async (app: FastifyInstance, opts: OpenApiOptions) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: opts.title, description: opts.description, version: opts.version ?? '1' },
      },
      transform: ({ schema, url }) => {
        const extra = opts.routes?.[url];
        return { schema: extra ? { ...extra, ...schema } : schema, url };
      },
    });
  },
  { name: 'fleet-openapi', fastify: '5.x' },
);
