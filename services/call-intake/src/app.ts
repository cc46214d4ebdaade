import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Sql } from '@fleet/db';
import type { ModelOptions } from '@fleet/call-model';
import type { CallIntakeConfig, TelegramConfig } from './config.ts';
import enterpriseDirectory from './plugins/enterprise-directory.ts';
import eventStore from './plugins/event-store.ts';
import callProcessor from './plugins/call-processor.ts';
import type { SnapshotPolicy } from './processor/model-store.ts';
import dispatcher, { leaseSecondsOf } from './plugins/dispatcher.ts';
import hostEventRoutes from './routes/host-events.ts';
import healthRoutes from './routes/health.ts';
import readyRoutes from './routes/ready.ts';
import { READY_SCHEMA, type SchemaGate } from './schema.ts';
import journal from './journal/plugin.ts';
import { UnknownEvent } from './errors.ts';
import telegram from './telegram/plugin.ts';
import retention, { type IntakeRetentionConfig } from './plugins/retention.ts';
import { telegramOptions } from './telegram/options.ts';
import { metricsPlugin, openapiPlugin } from '@fleet/metrics';
import { registerIntakeMetrics } from './metrics.ts';
import { openapiRoutes } from './openapi.ts';

export interface BuildOptions {
  /** Pool for background work (call processing, dispatch, health). */
  sql: Sql;
  /**
   * Pool of the hot path only (token lookups, group commit), so that an acknowledgement never waits
   * behind background transactions for a connection. Defaults to `sql` (tests).
   */
  hotSql?: Sql;
  config: Pick<
    CallIntakeConfig,
    | 'GATEWAY_URL'
    | 'BODY_LIMIT_BYTES'
    | 'GROUP_COMMIT_WINDOW_MS'
    | 'GROUP_COMMIT_MAX_BATCH'
    | 'PROCESSOR_POLL_MS'
    | 'DISPATCH_POLL_MS'
    | 'DISPATCH_TIMEOUT_MS'
    | 'WORKERS'
  > &
    Partial<TelegramConfig> &
    Partial<IntakeRetentionConfig> &
    // Without JOURNAL_DIR there is no outage journal (tests); server.ts always has one.
    Partial<
      Pick<
        CallIntakeConfig,
        | 'GIVE_UP_MS'
        | 'CALL_STALE_MS'
        | 'JOURNAL_DIR'
        | 'JOURNAL_MAX_BYTES'
        | 'JOURNAL_SEGMENT_BYTES'
        | 'JOURNAL_FALLBACK_MS'
        | 'JOURNAL_DRAIN_POLL_MS'
      >
    >;
  logger?: FastifyServerOptions['logger'];
  model?: ModelOptions;
  /** How often the call model's whole state is written (processor/model-store.ts; tests lower it). */
  modelSnapshot?: SnapshotPolicy;
  /** Whether the migrations are applied (server.ts may start during an outage); default: applied. */
  schema?: SchemaGate;
}

/**
 * call-intake as a Fastify instance, without side effects until `ready()`: external wiring (the token
 * directory, the group-commit store), then the call processor and the dispatcher to the gateway,
 * then routes. Tests build it through this same factory and use `app.inject`.
 */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { sql, config } = opts;
  const schema = opts.schema ?? READY_SCHEMA;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Two log lines per host event would dominate the logs; outcomes are logged where they matter.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: '127.0.0.1',
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: err.code, reason: err.message, url: req.url }, 'request rejected');
    // A 5xx says nothing of its cause: database errors quote SQL and the caller's input.
    const ours = status < 500 || (err.code ?? '').startsWith('INTAKE_');
    reply.code(status).send({
      status: 'error',
      code: ours ? (err.code ?? 'INTAKE_ERROR') : 'INTAKE_INTERNAL',
      message: ours ? err.message : 'internal error',
    });
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new UnknownEvent(`${req.method} ${req.url.split('?')[0]}`);
    reply.code(404).send({ status: 'error', code: err.code, message: err.message });
  });

  await app.register(openapiPlugin, {
    title: 'call-intake',
    description: 'Asterisk host events (group commit), the Telegram webhook, health and stats.',
    routes: openapiRoutes,
  });
  await app.register(metricsPlugin, { service: 'call-intake' });
  registerIntakeMetrics(app, sql);
  const hotSql = opts.hotSql ?? sql;
  await app.register(enterpriseDirectory, { sql: hotSql });
  await app.register(eventStore, {
    sql: hotSql,
    windowMs: config.GROUP_COMMIT_WINDOW_MS,
    maxBatch: config.GROUP_COMMIT_MAX_BATCH,
  });
  if (config.JOURNAL_DIR)
    await app.register(journal, {
      sql: hotSql,
      dir: config.JOURNAL_DIR,
      maxBytes: config.JOURNAL_MAX_BYTES ?? 256 * 1024 * 1024,
      segmentBytes: config.JOURNAL_SEGMENT_BYTES ?? 8 * 1024 * 1024,
      fallbackMs: config.JOURNAL_FALLBACK_MS ?? 1000,
      drainPollMs: config.JOURNAL_DRAIN_POLL_MS ?? 500,
      schemaReady: () => schema.ready,
    });
  const model = config.CALL_STALE_MS ? { staleCallMs: config.CALL_STALE_MS, ...opts.model } : opts.model;
  const leaseSec = leaseSecondsOf(config.DISPATCH_TIMEOUT_MS);
  await app.register(callProcessor, {
    sql,
    pollMs: config.PROCESSOR_POLL_MS,
    workers: config.WORKERS,
    model,
    leaseSec,
    snapshot: opts.modelSnapshot,
  });
  await app.register(dispatcher, {
    sql,
    gatewayUrl: config.GATEWAY_URL,
    timeoutMs: config.DISPATCH_TIMEOUT_MS,
    giveUpMs: config.GIVE_UP_MS ?? 24 * 60 * 60 * 1000,
    pollMs: config.DISPATCH_POLL_MS,
    workers: config.WORKERS,
  });
  await app.register(telegram, telegramOptions(sql, config));
  await app.register(retention, { sql, config });
  await app.register(healthRoutes, { sql });
  await app.register(readyRoutes, { sql, schema });
  await app.register(hostEventRoutes, { bodyLimit: config.BODY_LIMIT_BYTES });
  return app;
}
