// The gateway as a Fastify instance with no side effects until it is ready: server.ts and the tests
// build it the same way. Background work (LISTEN, cache refresh) starts on onReady
// and stops on onClose.
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Sql } from '@fleet/db';
import { logOptions } from '@fleet/log';
import { refuseUnstorableBodies } from '@fleet/service';
import { UnstorableBodyError } from './errors.ts';
import type { GatewayConfig } from './config.ts';
import { corePlugin } from './plugins/core.ts';
import { forwardingPlugin } from './plugins/forwarding.ts';
import { enablementCachePlugin } from './plugins/enablement-cache.ts';
import dispatchRoutes from './routes/dispatch.ts';
import healthRoutes from './routes/health.ts';
import readyRoutes from './routes/ready.ts';
import integrationRoutes from './routes/integrations.ts';
import statsRoutes from './routes/stats.ts';
import { metricsPlugin, openapiPlugin } from '@fleet/metrics';
import { registerGatewayMetrics } from './metrics.ts';

export interface BuildAppOptions {
  config: GatewayConfig;
  /** The pool; owned by the caller, who ends it after `app.close()`. */
  sql: Sql;
  /** Fastify logger option; default: the fleet's pino options at config.LOG_LEVEL. */
  logger?: FastifyServerOptions['logger'];
  /** LISTEN + periodic reload of the enablement cache (default true). */
  cacheBackground?: boolean;
}

/** Builds the integration gateway (routes, cache, forwarding); call `listen` or `inject` on the result. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      opts.logger ??
      logOptions({ name: 'integration-gateway', level: opts.config.LOG_LEVEL, pretty: opts.config.LOG_PRETTY }),
    // A number where a string belongs is a caller bug to report, not to coerce.
    ajv: { customOptions: { coerceTypes: false } },
    bodyLimit: 256 * 1024,
    // Two lines per delivery would drown the logs; outcomes are logged where they matter.
    logController: new LogController({ disableRequestLogging: true }),
  });
  refuseUnstorableBodies(app, (why) => new UnstorableBodyError(why));
  await app.register(openapiPlugin, {
    title: 'integration-gateway',
    description:
      'Internal: dispatch from call-intake, enablement cache, integrations, health and stats (loopback callers).',
  });
  await app.register(metricsPlugin, { service: 'integration-gateway' });
  await app.register(corePlugin, { config: opts.config, sql: opts.sql });
  await app.register(enablementCachePlugin, { background: opts.cacheBackground });
  await app.register(forwardingPlugin);
  registerGatewayMetrics(app);
  await app.register(dispatchRoutes);
  await app.register(integrationRoutes);
  await app.register(healthRoutes);
  await app.register(readyRoutes);
  await app.register(statsRoutes);
  return app;
}
