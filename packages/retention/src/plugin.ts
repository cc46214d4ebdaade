// The job as a Fastify plugin: `app.retention` (runOnce for tests and operators), the schedule
// started when the app is ready and stopped when it closes, and the metrics of what it removed.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type {} from '@fleet/metrics';
import { createRetentionJob, type RetentionJob, type RetentionJobOptions } from './job.ts';

declare module 'fastify' {
  interface FastifyInstance {
    retention: RetentionJob;
  }
}

export type RetentionPluginOptions = Omit<RetentionJobOptions, 'log' | 'onTable' | 'onPass'>;

/**
 * Decorates `app.retention`; with `intervalMs > 0` passes run on their schedule from `onReady`.
 * Metrics (when @fleet/metrics is registered): fleet_retention_deleted_rows_total{table},
 * fleet_retention_errors_total{table}, fleet_retention_last_pass_seconds (Unix time of the last pass
 * this instance ran or skipped because another held the lock).
 */
export const retentionPlugin = fp(
  async (app: FastifyInstance, opts: RetentionPluginOptions) => {
    const metrics = app.hasDecorator('metrics') ? app.metrics : undefined;
    const deleted = metrics?.counter('fleet_retention_deleted_rows_total', 'Rows removed by retention, by table', [
      'table',
    ]);
    const errors = metrics?.counter(
      'fleet_retention_errors_total',
      'Retention sweeps of a table that failed (retried next pass)',
      ['table'],
    );
    const lastPass = metrics?.gauge(
      'fleet_retention_last_pass_seconds',
      'Unix time of the last retention pass (run, or skipped: another instance held the lock)',
    );
    for (const rule of opts.rules) {
      deleted?.inc({ table: rule.table }, 0);
      errors?.inc({ table: rule.table }, 0);
    }
    const job = createRetentionJob({
      ...opts,
      log: app.log.child({ job: 'retention' }),
      onTable(table, n, err) {
        if (err) errors?.inc({ table });
        else deleted?.inc({ table }, n);
      },
      onPass: () => lastPass?.set(Date.now() / 1000),
    });
    app.decorate('retention', job);
    if (opts.intervalMs > 0) app.addHook('onReady', async () => job.start());
    app.addHook('onClose', async () => job.stop());
  },
  { name: 'fleet-retention', fastify: '5.x' },
);
