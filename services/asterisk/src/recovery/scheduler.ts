// The recovery schedule, hosted by services/asterisk because it owns the SSH access to the hosts.
// Every RECOVERY_INTERVAL_MS (± RECOVERY_JITTER_MS, so that several instances and restarts spread
// out) it runs the enterprises that have a host, one after another: one run per process at a time, so
// one enterprise at a time per host; the advisory lock in runRecovery keeps two instances off the
// same enterprise.
import type { FastifyBaseLogger } from 'fastify';
import { RecoveryRefused, runRecovery, type RecoveryDeps } from '@fleet/host-recovery';

export interface RecoveryScheduler {
  /** Runs every enterprise once now (the scheduled pass; also for tests). */
  pass(): Promise<void>;
  start(): void;
  /** Stops scheduling and waits for the enterprise in progress (the others of the pass are skipped). */
  stop(): Promise<void>;
}

export function createRecoveryScheduler(
  deps: RecoveryDeps,
  log: FastifyBaseLogger,
  o: { intervalMs: number; jitterMs: number },
): RecoveryScheduler {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();

  async function pass(): Promise<void> {
    const rows = await deps.sql<{ enterprise: string }[]>`
      select h.enterprise from asterisk_hosts h join enterprises e on e.number = h.enterprise
      where e.active order by h.enterprise`;
    for (const { enterprise } of rows) {
      if (stopped) return;
      try {
        const s = await runRecovery(deps, { enterprise, trigger: 'schedule' });
        const level = s.status === 'ok' ? (s.rowsIngested ? 'info' : 'debug') : 'warn';
        log[level](
          {
            enterprise,
            runId: s.runId,
            status: s.status,
            found: s.rowsFound,
            ingested: s.rowsIngested,
            duplicates: s.duplicates,
            invalid: s.rowsInvalid,
            errors: s.errors.slice(0, 3),
          },
          'recovery run finished',
        );
      } catch (err) {
        if (err instanceof RecoveryRefused) log.debug({ enterprise, reason: err.reason }, 'recovery run skipped');
        else log.error({ enterprise, err }, 'recovery run failed');
      }
    }
  }

  const delay = () => Math.max(1000, o.intervalMs + Math.round((Math.random() * 2 - 1) * o.jitterMs));

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      current = pass()
        .catch((err) => log.warn({ err }, 'recovery pass failed'))
        .finally(schedule);
    }, delay());
    timer.unref();
  }

  return {
    pass,
    start: schedule,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
