// Tier 1: what the service is given (configuration and the database pool), decorated for the rest.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Sql } from '@fleet/db';
import type { RetailCrmConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    rcrmConfig: RetailCrmConfig;
    sql: Sql;
  }
}

/** Decorates `app.rcrmConfig` and `app.sql`; the pool belongs to the caller (server.ts ends it). */
export const corePlugin = fp(
  async (app: FastifyInstance, opts: { config: RetailCrmConfig; sql: Sql }) => {
    app.decorate('rcrmConfig', opts.config);
    app.decorate('sql', opts.sql);
  },
  { name: 'retailcrm-core' },
);
