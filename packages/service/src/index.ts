import type { FastifyInstance } from 'fastify';
import { ConfigError } from '@fleet/config';
import type { Sql } from '@fleet/db';
import { closeKeepAliveOnDrain } from './drain.ts';

export { readyReport, within, OUTBOX_LAG_WARN_SEC, type ReadyCheck, type ReadyReport } from './readiness.ts';
export { isLoopbackPeer, loopbackOnly } from './loopback.ts';
export { refuseUnstorableBodies } from './storable.ts';
export { closeKeepAliveOnDrain } from './drain.ts';

/** What a service's boot function hands to runService. */
export interface ServiceProcess {
  app: FastifyInstance;
  port: number;
  host: string;
  /** Database pools, ended after the app has closed (its workers may still write while draining). */
  pools: Sql[];
}

/** Exit code of a process stopped by bad configuration (sysexits EX_CONFIG): supervisors should not restart it. */
export const EXIT_CONFIG = 78;

/**
 * The one way every fleet service runs as a process: `boot()` reads config and builds the app (a
 * ConfigError prints one line naming the variable and exits EXIT_CONFIG), then it listens; SIGTERM or
 * SIGINT closes the app — in-flight requests finish, workers drain through their onClose hooks — then
 * ends the pools and exits 0, or exits 1 when draining takes longer than `graceMs`.
 */
export async function runService(name: string, boot: () => Promise<ServiceProcess>, graceMs = 20_000): Promise<void> {
  let proc: ServiceProcess;
  try {
    proc = await boot();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${name}: bad configuration: ${err.message}`);
      process.exit(EXIT_CONFIG);
    }
    console.error(`${name}: cannot start: ${(err as Error).stack ?? err}`);
    process.exit(1);
  }
  const { app, pools } = proc;
  const endPools = (timeout: number) => Promise.all(pools.map((p) => p.end({ timeout }).catch(() => {})));
  const startDrain = closeKeepAliveOnDrain(app.server);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining');
    setTimeout(() => {
      app.log.error({ graceMs }, 'drain took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    try {
      startDrain();
      await app.close();
      await endPools(5);
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    await app.listen({ port: proc.port, host: proc.host });
  } catch (err) {
    app.log.fatal({ err }, 'cannot listen');
    await endPools(1);
    process.exit(1);
  }
}
