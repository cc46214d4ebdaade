// The asterisk service (click-to-call over SSH) as a Fastify instance with no side effects: server.ts
// and the tests build it the same way. Tiers: core (config, pool, SSH host pool) → repositories → routes.
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import type { Sql } from '@fleet/db';
import { logOptions } from '@fleet/log';
import type { HostPool } from '@fleet/asterisk-host';
import type { AsteriskConfig } from './config.ts';
import { corePlugin } from './plugins/core.ts';
import { enterpriseHostsPlugin } from './plugins/enterprise-hosts.ts';
import { originateRecordsPlugin } from './plugins/originate-records.ts';
import healthRoutes from './routes/health.ts';
import readyRoutes from './routes/ready.ts';
import makeCallExternalRoutes from './routes/makecallexternal.ts';
import { metricsPlugin, openapiPlugin } from '@fleet/metrics';
import { registerAsteriskMetrics } from './metrics.ts';
import { recoveryPlugin } from './recovery/plugin.ts';
import { asteriskRetentionPlugin } from './plugins/retention.ts';

export interface BuildAppOptions {
  config: AsteriskConfig;
  /** The database pool; owned by the caller, who ends it after `app.close()`. */
  sql: Sql;
  logger?: FastifyServerOptions['logger'];
  /** SSH host pool (default: one owned by the app, closed with it). */
  pool?: HostPool;
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      opts.logger ?? logOptions({ name: 'asterisk', level: opts.config.LOG_LEVEL, pretty: opts.config.LOG_PRETTY }),
    bodyLimit: 16 * 1024,
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    const known = status < 500 || err.code?.startsWith('AST_');
    return reply.code(status).send({
      success: false,
      statusCode: status,
      code: known ? (err.code ?? 'AST_BAD_REQUEST') : 'AST_INTERNAL',
      error: STATUS_CODES[status],
      message: known ? err.message : 'internal error',
    });
  });
  await app.register(openapiPlugin, {
    title: 'asterisk',
    description: 'Internal: click-to-call (/api/makecallexternal) over SSH to enterprise hosts (loopback callers).',
  });
  await app.register(metricsPlugin, { service: 'asterisk' });
  await app.register(formbody);
  await app.register(corePlugin, { config: opts.config, sql: opts.sql, pool: opts.pool });
  await app.register(enterpriseHostsPlugin);
  await app.register(originateRecordsPlugin);
  await app.register(recoveryPlugin);
  await app.register(asteriskRetentionPlugin);
  registerAsteriskMetrics(app);
  await app.register(healthRoutes);
  await app.register(readyRoutes);
  await app.register(makeCallExternalRoutes);
  return app;
}
