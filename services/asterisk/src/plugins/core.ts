// Tier 1: configuration, the pool (owned by server.ts) and the SSH host pool (owned by the app: its
// connections close with it).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Sql } from '@fleet/db';
import { createHostPool, type HostPool } from '@fleet/asterisk-host';
import type { AsteriskConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    astConfig: AsteriskConfig;
    sql: Sql;
    hosts: HostPool;
  }
}

export const corePlugin = fp(
  async (app: FastifyInstance, opts: { config: AsteriskConfig; sql: Sql; pool?: HostPool }) => {
    const c = opts.config;
    const pool =
      opts.pool ??
      createHostPool({
        connectTimeoutMs: c.ASTERISK_CONNECT_TIMEOUT_MS,
        commandTimeoutMs: c.ASTERISK_COMMAND_TIMEOUT_MS,
        concurrency: c.ASTERISK_HOST_CONCURRENCY,
        maxQueue: c.ASTERISK_HOST_QUEUE,
        breaker: { resetTimeoutMs: c.ASTERISK_BREAKER_RESET_MS, volumeThreshold: c.ASTERISK_BREAKER_VOLUME },
        onBreaker: (host, state) =>
          app.log[state === 'open' ? 'warn' : 'info']({ host, breaker: state }, 'host breaker changed'),
      });
    app.decorate('astConfig', c);
    app.decorate('sql', opts.sql);
    app.decorate('hosts', pool);
    app.addHook('onClose', async () => {
      if (!opts.pool) await pool.close();
    });
  },
  { name: 'asterisk-core' },
);
