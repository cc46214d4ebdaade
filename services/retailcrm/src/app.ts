// The RetailCRM service as a Fastify instance with no side effects: server.ts and the tests build it
// the same way (fastify/demo layout). Tiers: core (config, pool) → clients/repositories → routes.
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Sql } from '@fleet/db';
import { logOptions } from '@fleet/log';
import { refuseUnstorableBodies } from '@fleet/service';
import { UnstorableBodyError } from './errors.ts';
import type { RateLimiter } from '@fleet/retailcrm-client';
import type { RetailCrmConfig } from './config.ts';
import { corePlugin } from './plugins/core.ts';
import { crmPlugin } from './plugins/crm.ts';
import { enterprisesPlugin } from './plugins/enterprises.ts';
import { integrationLogsPlugin } from './plugins/integration-logs.ts';
import { mappingDriftPlugin } from './plugins/mapping-drift.ts';
import { stepsPlugin } from './plugins/steps.ts';
import { customerLookupPlugin } from './plugins/customer-lookup.ts';
import callerIdentityRoutes from './routes/caller-identity.ts';
import callEventRoutes from './routes/call-event.ts';
import healthRoutes from './routes/health.ts';
import readyRoutes from './routes/ready.ts';
import callbackRoutes from './callbacks/plugin.ts';
import adminRoutes from './routes/admin.ts';
import { retailCrmRetentionPlugin } from './plugins/retention.ts';
import { metricsPlugin, openapiPlugin } from '@fleet/metrics';

export interface BuildAppOptions {
  config: RetailCrmConfig;
  /** The pool; owned by the caller, who ends it after `app.close()`. */
  sql: Sql;
  /** Fastify logger option; default: the fleet's pino options (with redaction) at config.LOG_LEVEL. */
  logger?: FastifyServerOptions['logger'];
  /** Outbound HTTP to RetailCRM (default: an Agent owned by the app). */
  dispatcher?: Dispatcher;
  /** The per-key limiter (default: one for this app, i.e. for the process). */
  limiter?: RateLimiter;
}

/** Builds the service; call `listen` or `inject` on the result. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      opts.logger ?? logOptions({ name: 'retailcrm', level: opts.config.LOG_LEVEL, pretty: opts.config.LOG_PRETTY }),
    ajv: { customOptions: { coerceTypes: false } },
    bodyLimit: 256 * 1024,
  });
  app.setErrorHandler(
    (err: Error & { statusCode?: number; code?: string; details?: Record<string, unknown> }, request, reply) => {
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      // The fleet's log rule (services/asterisk/README.md "Log levels"): RetailCRM or a host failing (our
      // coded 502/503/504) is expected: warn with the reason, no stack; error with the stack for a defect.
      if (status === 500 || (status > 500 && !err.code?.startsWith('RCRM_')))
        request.log.error({ err }, 'request failed');
      else
        request.log.warn({ code: err.code, reason: err.message }, status >= 500 ? 'request failed' : 'request refused');
      const details = err.details ?? {};
      if (typeof details.retry_after === 'number') reply.header('retry-after', String(details.retry_after));
      const known = status < 500 || err.code?.startsWith('RCRM_');
      return reply.code(status).send({
        statusCode: status,
        code: known ? (err.code ?? 'RCRM_BAD_REQUEST') : 'RCRM_INTERNAL',
        error: STATUS_CODES[status],
        message: known ? err.message : 'internal error',
        ...details,
      });
    },
  );
  refuseUnstorableBodies(app, (why) => new UnstorableBodyError(why));
  await app.register(openapiPlugin, {
    title: 'retailcrm',
    description:
      'RetailCRM integration: call events from the gateway, admin page and API, RetailCRM callbacks, getcustomerdata.',
  });
  await app.register(metricsPlugin, { service: 'retailcrm' });
  await app.register(corePlugin, { config: opts.config, sql: opts.sql });
  await app.register(crmPlugin, { dispatcher: opts.dispatcher, limiter: opts.limiter });
  await app.register(enterprisesPlugin);
  await app.register(stepsPlugin);
  await app.register(integrationLogsPlugin);
  await app.register(mappingDriftPlugin);
  await app.register(customerLookupPlugin);
  await app.register(retailCrmRetentionPlugin);
  await app.register(healthRoutes);
  await app.register(readyRoutes);
  await app.register(callEventRoutes);
  await app.register(callbackRoutes);
  await app.register(callerIdentityRoutes);
  await app.register(adminRoutes);
  return app;
}
