// Tier 1: what the gateway is given (configuration and the database pool), decorated for the rest.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Sql } from '@fleet/db';
import type { GatewayConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig;
    sql: Sql;
  }
}

/** Decorates `app.config` and `app.sql`; the pool belongs to the caller (server.ts ends it). */
export const corePlugin = fp(
  async (app: FastifyInstance, opts: { config: GatewayConfig; sql: Sql }) => {
    app.decorate('config', opts.config);
    app.decorate('sql', opts.sql);
  },
  { name: 'gateway-core' },
);
