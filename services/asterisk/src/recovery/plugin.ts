// Tier 2: the recovery job (issue 7, section 7) as part of the asterisk service: `app.recovery.run()`
// for on-demand runs and the schedule, started when the server is ready (off with RECOVERY_INTERVAL_MS=0).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createLogReader, runRecovery, type RecoveryDeps, type RecoverySummary } from '@fleet/host-recovery';
import { createRecoveryScheduler, type RecoveryScheduler } from './scheduler.ts';

declare module 'fastify' {
  interface FastifyInstance {
    recovery: {
      /** One run now. @throws RecoveryRefused (not found, no host, inactive, already running). */
      run(enterprise: string, dates?: string[]): Promise<RecoverySummary>;
      scheduler: RecoveryScheduler;
    };
  }
}

export const recoveryPlugin = fp(
  async (app: FastifyInstance) => {
    const c = app.astConfig;
    const deps: RecoveryDeps = {
      sql: app.sql,
      reader: createLogReader(),
      connectTimeoutMs: c.ASTERISK_CONNECT_TIMEOUT_MS,
      fetchTimeoutMs: c.RECOVERY_FETCH_TIMEOUT_MS,
      maxFileBytes: c.RECOVERY_MAX_FILE_BYTES,
    };
    const scheduler = createRecoveryScheduler(deps, app.log.child({ job: 'recovery' }), {
      intervalMs: c.RECOVERY_INTERVAL_MS,
      jitterMs: c.RECOVERY_JITTER_MS,
    });
    app.decorate('recovery', {
      run: (enterprise: string, dates?: string[]) => runRecovery(deps, { enterprise, trigger: 'cli', dates }),
      scheduler,
    });
    if (c.RECOVERY_INTERVAL_MS > 0) app.addHook('onReady', async () => scheduler.start());
    app.addHook('onClose', async () => scheduler.stop());
  },
  { name: 'asterisk-recovery', dependencies: ['asterisk-core'] },
);
