// Migrations at boot without making PostgreSQL a precondition of accepting host events (issue 7 §2:
// hosts never retry, also not while call-intake restarts during an outage). When the database is
// unreachable at boot, call-intake starts on its outage journal and applies the migrations in the
// background once PostgreSQL answers; the journal is drained only after that, since its rows need
// the schema.
import { migrate, type Sql } from '@fleet/db';
import { isOutage, withDeadline } from './journal/outage.ts';

export interface SchemaGate {
  /** True once the migrations are applied (at boot, or later in the background). */
  readonly ready: boolean;
  /** Why it is not ready yet: the last failure, without SQL or parameters. */
  readonly reason: string | null;
}

export interface DeferredSchema extends SchemaGate {
  /** Starts the background attempts (no-op when ready); `log` says what happens. */
  start(log: {
    warn(o: object, m: string): void;
    info(o: object, m: string): void;
    error(o: object, m: string): void;
  }): void;
  stop(): void;
}

/** An already-migrated schema (tests that migrate themselves, and buildApp's default). */
export const READY_SCHEMA: SchemaGate = { ready: true, reason: null };

/**
 * Applies the migrations now; when PostgreSQL is unreachable (isOutage, or no answer within
 * `deadlineMs`) and `deferrable`, returns a gate that keeps trying every `retryMs` from start().
 * @throws whatever migrate throws otherwise (a broken migration fails the boot, as before).
 */
export async function migrateOrDefer(
  sql: Sql,
  o: { deferrable: boolean; deadlineMs?: number; retryMs?: number },
): Promise<DeferredSchema> {
  const deadlineMs = o.deadlineMs ?? 10_000;
  const retryMs = o.retryMs ?? 2_000;
  let ready = false;
  let reason: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = () => withDeadline(migrate(sql), deadlineMs);
  try {
    await attempt();
    ready = true;
  } catch (err) {
    if (!o.deferrable || !isOutage(err)) throw err;
    reason = `PostgreSQL unreachable at boot (${(err as { code?: string }).code}): migrations pending, host events go to the journal`;
  }
  return {
    get ready() {
      return ready;
    },
    get reason() {
      return reason;
    },
    start(log) {
      if (ready) return;
      log.warn({ reason }, 'started without PostgreSQL: accepting host events into the journal');
      const retry = () => {
        if (stopped) return;
        attempt().then(
          () => {
            ready = true;
            reason = null;
            log.info({}, 'PostgreSQL answers: migrations applied, the journal drains');
          },
          (err: unknown) => {
            if (!isOutage(err)) {
              // Not an outage: a migration that fails. Keep journaling (nothing is lost) and say why.
              reason = `migration failed: ${(err as Error).message.slice(0, 200)}`;
              log.error({ err }, 'migrations failed; host events stay in the journal');
            }
            if (!stopped) timer = setTimeout(retry, retryMs);
          },
        );
      };
      timer = setTimeout(retry, retryMs);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
