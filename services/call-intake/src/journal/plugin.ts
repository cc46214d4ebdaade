import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { eventIdempotencyKey, type HostEventType } from '@fleet/asterisk-events';
import type { Sql } from '@fleet/db';
import { StorageUnavailable } from '../errors.ts';
import { createEventJournal, type EventJournal } from './journal.ts';
import { openJournalStore } from './store.ts';

export interface JournalPluginOptions {
  /** The hot-path pool (drained events go in through it, like live ones). */
  sql: Sql;
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  /** A live insert unanswered after this long is journaled (its outcome is settled by idempotency). */
  fallbackMs: number;
  drainPollMs: number;
  /** Drained only once this says the schema is migrated. */
  schemaReady?: () => boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The outage journal; absent when call-intake runs without one (some tests). */
    journal?: EventJournal;
  }
}

/**
 * Journals a host event whose token could not be resolved because PostgreSQL is down and the token
 * is not cached: accepted now (hosts never retry), resolved at drain time, where an unknown or
 * inactive token is refused into rejected.jsonl. @throws JournalFull, or StorageUnavailable without a journal.
 */
export async function journalUnresolved(
  app: FastifyInstance,
  ev: { type: HostEventType; body: Record<string, unknown>; token: string; receivedAt: number },
  cause: unknown,
): Promise<void> {
  if (!app.journal) throw new StorageUnavailable();
  const uniqueId = typeof ev.body.UniqueId === 'string' ? ev.body.UniqueId : String(ev.body.UniqueId ?? '');
  const rec = {
    enterprise: null,
    token: ev.token,
    type: ev.type,
    uniqueId,
    idempotencyKey: eventIdempotencyKey(ev.type, ev.body),
    body: ev.body,
    receivedAt: ev.receivedAt,
  };
  const [r] = await app.journal.keep([rec], cause);
  if (r!.status === 'rejected') throw r!.reason;
}

/**
 * The local journal of call-intake (src/journal): opened at registration (a directory held by a
 * live process fails the boot), handed to the event store as its fallback, drained from onReady; on
 * close the store's last batch is flushed first (into the journal if engaged), then the drain stops
 * and the segment is closed — whatever was acknowledged is in call_events or on disk.
 */
export default fp(
  async (app, opts: JournalPluginOptions) => {
    const store = openJournalStore({ dir: opts.dir, maxBytes: opts.maxBytes, segmentBytes: opts.segmentBytes });
    const journal = createEventJournal({
      store,
      sql: opts.sql,
      dir: opts.dir,
      log: app.log.child({ component: 'journal' }),
      notify: (enterprises) => app.eventStore.committed(enterprises),
      drainPollMs: opts.drainPollMs,
      schemaReady: opts.schemaReady,
    });
    app.decorate('journal', journal);
    app.eventStore.useFallback(journal, opts.fallbackMs);
    app.addHook('onReady', async () => journal.start());
    app.addHook('onClose', async () => {
      await app.eventStore.close();
      await journal.stop();
      await store.close();
    });
  },
  { name: 'journal', dependencies: ['event-store'] },
);
