// The outage path of call-intake: while PostgreSQL cannot take events, they are acknowledged from a
// local fsync'd journal (store.ts) and drained into call_events, in order, once it is back.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { pingDatabase, type Sql } from '@fleet/db';
import type { JournalRecord } from './frame.ts';
import { isOutage } from './outage.ts';
import type { JournalStore } from './store.ts';

/** Outcome of a drain pass: all in PostgreSQL, more journaled meanwhile, or PostgreSQL still down. */
export type Pass = 'done' | 'more' | 'down';

/** Rows per drain transaction. */
const DRAIN_CHUNK = 500;

export interface JournalStatus {
  /** 'direct': events go to PostgreSQL; 'journal': to the journal (outage, or its backlog draining). */
  mode: 'direct' | 'journal';
  /** True while appends are refused for lack of room (503 to hosts). */
  full: boolean;
  reason: string | null;
  segments: number;
  bytes: number;
  maxBytes: number;
  /** Age of the oldest event not yet in PostgreSQL, seconds (null when nothing is journaled). */
  lagSec: number | null;
  appended: number;
  drained: number;
  /** Drained events PostgreSQL would not take (unknown or inactive token, invalid row): kept in rejected.jsonl. */
  rejected: number;
  /** Damaged lines skipped on replay (not a torn last line). */
  corrupt: number;
}

export interface EventJournal {
  /** True while new events must be journaled, so that none overtakes a journaled one. */
  engaged(): boolean;
  /**
   * Journals records (engaging the journal); one settled result per record, in order. Starts the
   * appends synchronously, so that an `engaged()` check followed by `keep` leaves no gap.
   */
  keep(recs: JournalRecord[], cause?: unknown): Promise<PromiseSettledResult<void>[]>;
  status(): JournalStatus;
  /** One drain pass (the loop calls it; tests too): 'done' when everything is in PostgreSQL. */
  drain(): Promise<Pass>;
  start(): void;
  stop(): Promise<void>;
}

export interface JournalOptions {
  store: JournalStore;
  /** Where drained events go. */
  sql: Sql;
  dir: string;
  log: FastifyBaseLogger;
  /** Called with the enterprises of each committed drain chunk (wakes the processor). */
  notify: (enterprises: Set<string>) => void;
  drainPollMs: number;
  /** False while the schema is not migrated (call-intake started during an outage): no drain yet. */
  schemaReady?: () => boolean;
}

/**
 * Modes: 'direct' until a write to PostgreSQL fails for an outage (outage.ts); then 'journal' until
 * a drain pass finds the journal empty. A pass seals the segment being appended to, inserts every
 * sealed segment oldest first (same statement and unique key as live events, the original
 * received_at), deletes a segment only after all its rows are committed, and switches back to
 * 'direct' only when nothing was journaled meanwhile — in the same tick as that check.
 */
export function createEventJournal(o: JournalOptions): EventJournal {
  const { store, log } = o;
  let engaged = !store.empty(); // segments left by an earlier run: drain them before anything new
  let full = false;
  let oldestAt: number | null = null;
  const counts = { appended: 0, drained: 0, rejected: 0, corrupt: 0 };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<Pass> | null = null;
  let stopped = false;

  function engage(cause: unknown): void {
    if (engaged) return;
    engaged = true;
    log.error({ err: cause }, 'PostgreSQL unavailable: acknowledging host events from the local journal');
  }

  function noteFull(err: unknown): void {
    if ((err as { code?: string }).code !== 'INTAKE_JOURNAL_FULL' || full) return;
    full = true;
    log.error({ maxBytes: store.stats().maxBytes }, 'journal full: refusing host events with 503 until it drains');
  }

  function keep(recs: JournalRecord[], cause?: unknown): Promise<PromiseSettledResult<void>[]> {
    engage(cause);
    const appends = recs.map((r) => store.append(r));
    return Promise.allSettled(appends).then((results) => {
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') {
          counts.appended++;
          oldestAt ??= recs[i]!.receivedAt;
        } else noteFull(r.reason);
      });
      return results;
    });
  }

  function reject(rec: JournalRecord, reason: string): void {
    counts.rejected++;
    // The host already had its 200: keep the event for a person rather than drop it silently.
    appendFileSync(
      join(o.dir, 'rejected.jsonl'),
      `${JSON.stringify({ reason, at: new Date().toISOString(), record: rec })}\n`,
    );
    log.warn(
      { enterprise: rec.enterprise, event: rec.type, uniqueId: rec.uniqueId, reason },
      'journaled event rejected at drain',
    );
  }

  async function insert(rows: (JournalRecord & { enterprise: string })[]): Promise<string[]> {
    const res = await o.sql<{ enterprise: string }[]>`
      insert into call_events (enterprise, event_type, unique_id, idempotency_key, body, received_at)
      select * from unnest(
        ${rows.map((r) => r.enterprise)}::text[],
        ${rows.map((r) => r.type)}::text[],
        ${rows.map((r) => r.uniqueId)}::text[],
        ${rows.map((r) => r.idempotencyKey)}::text[],
        ${rows.map((r) => JSON.stringify(r.body))}::text[]::jsonb[],
        ${rows.map((r) => new Date(r.receivedAt).toISOString())}::timestamptz[])
      on conflict (enterprise, idempotency_key) do nothing
      returning enterprise`;
    return res.map((r) => r.enterprise);
  }

  /** Inserts one chunk; an outage error propagates (the pass stops, the segment stays). */
  async function drainChunk(chunk: JournalRecord[]): Promise<void> {
    const tokens = [...new Set(chunk.filter((r) => r.enterprise === null).map((r) => r.token ?? ''))];
    const refs = new Map<string, { number: string; active: boolean }>();
    if (tokens.length) {
      const found = await o.sql<{ host_token: string; number: string; active: boolean }[]>`
        select host_token, number, active from enterprises where host_token = any(${tokens}::text[])`;
      for (const f of found) refs.set(f.host_token, f);
    }
    const rows: (JournalRecord & { enterprise: string })[] = [];
    for (const r of chunk) {
      if (r.enterprise !== null) {
        rows.push(r as JournalRecord & { enterprise: string });
        continue;
      }
      // Resolved now as the live path would have: unknown and inactive tokens are refused.
      const ref = refs.get(r.token ?? '');
      if (!ref) reject(r, 'unknown host token');
      else if (!ref.active) reject(r, `enterprise ${ref.number} is inactive`);
      else rows.push({ ...r, enterprise: ref.number, token: undefined });
    }
    if (!rows.length) return;
    let touched: string[];
    try {
      touched = await insert(rows);
    } catch (err) {
      if (isOutage(err)) throw err;
      // One bad row must not block the rest: row by row, refusing only what PostgreSQL refuses.
      touched = [];
      for (const row of rows) {
        try {
          touched.push(...(await insert([row])));
        } catch (e) {
          if (isOutage(e)) throw e;
          reject(row, `PostgreSQL refused the row: ${(e as Error).message.slice(0, 200)}`);
        }
      }
    }
    counts.drained += rows.length;
    if (touched.length) o.notify(new Set(touched));
  }

  async function pass(): Promise<Pass> {
    if (!engaged) return 'done';
    if (o.schemaReady && !o.schemaReady()) return 'down';
    if (!(await pingDatabase(o.sql, 1000))) return 'down';
    await store.seal();
    try {
      for (const seg of store.sealed()) {
        const parsed = store.read(seg);
        if (parsed.corrupt) {
          counts.corrupt += parsed.corrupt;
          log.error({ segment: seg.path, corrupt: parsed.corrupt }, 'journal segment has damaged lines; skipped them');
        }
        oldestAt = parsed.records[0]?.receivedAt ?? oldestAt;
        for (let i = 0; i < parsed.records.length; i += DRAIN_CHUNK)
          await drainChunk(parsed.records.slice(i, i + DRAIN_CHUNK));
        store.remove(seg); // only now: every row of it is committed
        if (full && store.stats().bytes < store.stats().maxBytes * 0.9) {
          full = false;
          log.info('journal has room again: accepting host events');
        }
      }
    } catch (err) {
      if (!isOutage(err)) log.error({ err }, 'journal drain failed; will retry');
      return 'down';
    }
    // Checked and switched in one tick: anything journaled meanwhile keeps the journal engaged.
    if (!store.empty()) return 'more';
    engaged = false;
    full = false;
    oldestAt = null;
    log.info(
      { drained: counts.drained, rejected: counts.rejected },
      'journal drained: events go to PostgreSQL directly again',
    );
    return 'done';
  }

  function drain(): Promise<Pass> {
    running ??= pass().finally(() => (running = null));
    return running;
  }

  function loop(): void {
    if (stopped) return;
    const next = () => {
      if (!stopped) timer = setTimeout(loop, o.drainPollMs);
    };
    if (!engaged) return next();
    // What arrived during a pass is drained right after it; a database still down is retried later.
    drain().then(
      (r) => (r === 'more' && !stopped ? (timer = setTimeout(loop, 10)) : next()),
      () => next(),
    );
  }

  return {
    engaged: () => engaged,
    keep,
    drain,
    status() {
      const s = store.stats();
      return {
        mode: engaged ? 'journal' : 'direct',
        full,
        reason: full ? 'database unreachable and the journal is full: host events are refused with 503' : null,
        segments: s.segments,
        bytes: s.bytes,
        maxBytes: s.maxBytes,
        lagSec: engaged && oldestAt !== null ? Math.max(0, (Date.now() - oldestAt) / 1000) : null,
        ...counts,
      };
    },
    start() {
      stopped = false;
      if (engaged)
        log.warn({ segments: store.stats().segments }, 'journal has events from an earlier run: draining them first');
      loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
