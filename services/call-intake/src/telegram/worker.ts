import type { FastifyBaseLogger } from 'fastify';
import { backoffMs } from '@fleet/backoff';
import type { Sql } from '@fleet/db';
import { createLanes, createLeasedTable, createRounds, type TableSpec } from '@fleet/leased-queue';
import { finalKeyboard, liveKeyboard, renderCard, type CardStage } from '@fleet/telegram-render';
import type { BotApi } from '@fleet/telegram-client';
import type { CallerIdentityLookup } from './caller-identity.ts';
import type { Directory, EnterpriseContext } from './directory.ts';
import type { Limiter, Release } from './limiter.ts';
import { nextOp, STAGE_RANK } from './plan.ts';
import { recordingUrlOf } from './recording.ts';
import { COLUMNS, type CardRow } from './card-row.ts';
import { createPerform } from './perform.ts';

/**
 * telegram_cards as a leased queue (@fleet/leased-queue): a lease column of its own (`lease_until`), due
 * cards oldest first, a card whose previous lease was never released reported as reclaimed.
 */
const CARDS: TableSpec = {
  table: 'telegram_cards',
  returning: `${COLUMNS.split(', ')
    .map((col) => `t.${col}`)
    .join(', ')}, c.reclaimed`,
  due: `q.status = 'pending' and q.not_before <= now() and q.next_attempt_at <= now()
    and (q.lease_until is null or q.lease_until < now())`,
  order: 'q.queued_at, q.id',
  claimExtras: 'q.lease_until is not null as reclaimed',
  lease: 'lease_until',
  deadSet: 'updated_at = now()',
};
/** A card gets at most this many operations per claim (a normal final needs ≤ 2); then others go first. */
const OPS_PER_CLAIM = 6;
/**
 * Cards of one chat worked at once. Each card (call) is still worked by one task, so the operations of
 * a call in a chat stay ordered, while the requests of different calls wait in the limiter together:
 * the limits, not our database round trips, set the pace (one card at a time was round-trip bound).
 */
const CARDS_PER_CHAT = 16;
/** Stage hints kept (the newest; a hint only saves a request, losing one costs nothing else). */
const MAX_HINTS = 20_000;
/** Kicks arrive with every processor commit; scans for due cards run at most this often. */
const MIN_SCAN_GAP_MS = 25;

export interface CardWorker {
  /** Looks for due cards now (after a commit fed the sink). */
  kick(): void;
  /** The sink wants `stage` for a call: a card still waiting to send an earlier stage re-plans. */
  hint(enterprise: string, callId: string, stage: CardStage): void;
  /** Resolves when no lane is running and nothing is due (tests). */
  idle(): Promise<void>;
  stats: { requests: number; floods: number; failures: number; reclaimed: number; lastError: string | null };
  stop(): Promise<void>;
}

/** Seconds until the next attempt after a transient failure: 1, 2, 4 … 60. */
const backoff = (attempts: number) => backoffMs(attempts, { firstMs: 1000, maxMs: 60_000 }) / 1000;

/** How long the id of a message Telegram created is kept trying to reach the database (ms). */
const RECORD_RETRY_MS = 120_000;

/** The message ids a card's row held when an operation started (compare-and-set of record()). */
interface MessageIds {
  live: string | null;
  final: string | null;
}

/**
 * Delivers telegram_cards: one lane per chat keeping up to CARDS_PER_CHAT cards in flight (claimed in
 * batches, oldest first), lanes of all chats in parallel, each request paced by the limiter. Each Bot
 * API answer is written to the row at once, in the same statement that marks the card done when
 * nothing is left to do (message ids, so a restart resumes where the database says); a row is claimed
 * with a lease so two instances never send the same card, and a lease left by a killed instance is
 * taken over once it expires (lanes, rounds and lease statements: @fleet/leased-queue; the Bot API
 * requests: perform.ts). 429 pauses the bot for exactly retry_after; 403 deactivates the
 * recipient; "not modified" counts as done and "not found" as "no live card" — neither can loop.
 */
export function createCardWorker(opts: {
  sql: Sql;
  api: BotApi;
  limiter: Limiter;
  directory: Directory;
  log: FastifyBaseLogger;
  pollMs: number;
  leaseMs: number;
  /** The caller's name and CRM links (RetailCRM enterprises only); absent: cards show the number alone. */
  identity?: CallerIdentityLookup;
}): CardWorker {
  const { sql, api, limiter, directory, log, identity } = opts;
  const stats = { requests: 0, floods: 0, failures: 0, reclaimed: 0, lastError: null as string | null };
  const abort = new AbortController();
  const leaseSec = opts.leaseMs / 1000;
  let stopped = false;
  const cards = createLeasedTable<CardRow & { reclaimed: boolean }>(sql, CARDS, {
    leaseMs: opts.leaseMs,
    onMarkError: () => {}, // cards are marked done by record() (compare-and-set), not by done marks
  });
  const hints = new Map<string, number>();
  const hintKey = (enterprise: string, callId: string) => `${enterprise}\n${callId}`;

  /**
   * Leases up to `n` due cards of a chat (not those this lane already works). A card whose previous
   * lease was never released was being worked by an instance that died: logged as reclaimed.
   */
  async function claim(enterprise: string, chatId: string, n: number, busy: string[]): Promise<CardRow[]> {
    const rows = await cards.claim({ n, busy, where: sql`q.enterprise = ${enterprise} and q.chat_id = ${chatId}` });
    for (const r of rows) {
      if (!r.reclaimed) continue;
      stats.reclaimed++;
      log.info(
        { enterprise, chatId, callId: r.call_id, stage: r.stage },
        'telegram card reclaimed from a lease that was never released',
      );
    }
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  const reload = async (id: string) =>
    (await sql<CardRow[]>`select ${sql.unsafe(COLUMNS)} from telegram_cards where id = ${id}`)[0]!;
  const renew = (id: string) => cards.renew([id]);
  const release = (id: string) => cards.release([id]);
  const finish = (id: string, error: string) => cards.dead(id, error);

  /** Back to the queue for a later attempt (1, 2, 4 … 60 s), keeping what the chat shows. */
  const postpone = (row: CardRow, error: string) =>
    cards.retry(row.id, {
      afterSec: backoff(row.attempts + 1),
      error,
      set: sql`live_message_id = ${row.live_message_id}, live_text = ${row.live_text},
        final_message_id = ${row.final_message_id}, callback_shown = callback_shown or ${row.callback_shown}`,
    });

  const perform = createPerform({ sql, api, limiter, directory, log, stats, finish, postpone });

  const stateOf = (row: CardRow) => ({
    stage: row.stage,
    liveMessageId: num(row.live_message_id),
    liveText: row.live_text,
    finalMessageId: num(row.final_message_id),
    callbackPending: row.callback !== null && !row.callback_shown,
  });

  /**
   * Writes what the chat shows now (right after the Bot API answered) and, when that is all the card
   * wanted and the sink has not moved it on meanwhile (same version), marks it done — one statement.
   * Returns true when done; false when more is to do (`row` reloaded if the sink moved it on).
   */
  async function record(
    row: CardRow,
    finished: boolean,
    before: MessageIds,
  ): Promise<{ done: boolean; row: CardRow; takenOver?: CardRow }> {
    const [r] = await sql<{ version: number; status: string }[]>`
      update telegram_cards set
        live_message_id = ${row.live_message_id}, live_text = ${row.live_text}, final_message_id = ${row.final_message_id},
        callback_shown = callback_shown or ${row.callback_shown},
        status = case when ${finished} and version = ${row.version} then 'done' else status end,
        last_error = case when ${finished} and version = ${row.version} then null else last_error end,
        lease_until = case when ${finished} and version = ${row.version} then null
                           else now() + make_interval(secs => ${leaseSec}) end,
        updated_at = now()
      where id = ${row.id}
        and live_message_id is not distinct from ${before.live}::bigint and final_message_id is not distinct from ${before.final}::bigint
      returning version, status`;
    if (!r) {
      // Gone, or its message ids changed under us: another holder worked the card meanwhile (our lease
      // expired, e.g. while PostgreSQL stalled this write). Its ids stand.
      const now = (await sql<CardRow[]>`select ${sql.unsafe(COLUMNS)} from telegram_cards where id = ${row.id}`)[0];
      return now ? { done: false, row: now, takenOver: now } : { done: true, row };
    }
    if (r.version !== row.version) return { done: false, row: await reload(row.id) };
    return { done: finished, row };
  }

  /**
   * record() after Telegram performed a request: only this process knows the message id now, so a
   * failed write (PostgreSQL restarting) is retried rather than thrown away — losing it left the
   * live card behind when the final later went out as a new message (found by the fault suite). A
   * holder that took the card over meanwhile is handled by record()'s compare-and-set.
   */
  async function recordPerformed(row: CardRow, finished: boolean, before: MessageIds) {
    const until = Date.now() + RECORD_RETRY_MS;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await record(row, finished, before);
      } catch (err) {
        if (stopped || Date.now() + delay > until) throw err;
        log.warn(
          { enterprise: row.enterprise, callId: row.call_id, chatId: row.chat_id, err },
          'telegram answer not yet recorded; retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Waits for a limiter slot, keeping the lease alive meanwhile (a group chat's wait can be long). */
  async function slot(botId: string, row: CardRow): Promise<Release> {
    const keep = setInterval(() => void renew(row.id).catch(() => {}), Math.max(1000, opts.leaseMs / 3));
    try {
      return await limiter.acquire(botId, Number(row.chat_id), abort.signal);
    } finally {
      clearInterval(keep);
    }
  }

  /** "Позвонить с" and the CRM lookup only where there is a client (not internal calls, not unknown numbers). */
  const hasClient = (row: CardRow) => row.call.kind === 'customer' && (row.call.phone?.match(/\d/g) ?? []).length >= 5;

  /**
   * Who calls, from RetailCRM (caller-identity.ts): waits at most its short deadline, once per number,
   * and before the limiter's slot, so no slot is held while RetailCRM thinks. null: the number alone.
   */
  const callerOf = (row: CardRow, ctx: EnterpriseContext) =>
    identity && ctx.crm && hasClient(row) ? identity.get(row.enterprise, row.call.phone) : null;

  /** Works one claimed card until it shows what it should (or cannot). */
  async function work(row: CardRow): Promise<void> {
    let hinted = false;
    for (let n = 0; n < OPS_PER_CLAIM && !stopped; n++) {
      const bot = await directory.bot(row.enterprise).catch(async (e: Error) => {
        // An unreadable token (SECRETS_KEY changed): retried with backoff until the operator fixes it.
        log.warn({ enterprise: row.enterprise, error: e.message }, 'telegram bot unavailable; card postponed');
        await sql`update telegram_bots set last_error = ${e.message.slice(0, 500)}, last_error_at = now() where enterprise = ${row.enterprise}`;
        await postpone(row, e.message);
        return 'postponed' as const;
      });
      if (bot === 'postponed') return;
      if (!bot) return void (await finish(row.id, 'no bot for the enterprise'));
      const recipient = await directory.recipient(row.enterprise, row.chat_id);
      if (!recipient?.active) return void (await finish(row.id, 'recipient inactive'));
      const ctx = await directory.context(row.enterprise);
      const recordingUrl = recordingUrlOf(ctx.recordUrlTemplate, row.enterprise, row.stage, row.call);
      const caller = await callerOf(row, ctx);
      const rendered = renderCard(row.stage, row.call, { ...ctx, recordingUrl, caller, callback: row.callback });
      const want = { text: rendered.text, loud: !rendered.disableNotification };
      const op = nextOp(stateOf(row), want);
      if (op.kind === 'none') {
        const r = await record(row, true, { live: row.live_message_id, final: row.final_message_id });
        if (r.done) return;
        row = r.row; // the sink (or another holder) moved the card on meanwhile
        continue;
      }
      const markup =
        row.stage === 'final'
          ? finalKeyboard({
              extension: hasClient(row) ? recipient.extension : null,
              callbackData: `call:${row.id}`,
              caller,
            })
          : liveKeyboard(caller);
      const free = await slot(bot.bot_id, row);
      if (!hinted && (hints.get(hintKey(row.enterprise, row.call_id)) ?? -1) > STAGE_RANK[row.stage]) {
        // The call moved on while this card waited for its slot (a burst): give the slot back unused
        // and plan from the row instead of sending a stage nobody will see. The hint may come from a
        // transaction that has not committed yet: when the row shows no progress, send as planned.
        free(true);
        const fresh = await reload(row.id);
        hinted = fresh.version === row.version;
        row = fresh;
        continue;
      }
      const before: MessageIds = { live: row.live_message_id, final: row.final_message_id };
      const outcome = await perform(bot.token, bot.bot_id, row, op, want, markup, free);
      if (outcome === 'stop') return;
      if (outcome === 'retry') continue;
      // `row` now holds what the chat shows: write it at once (with done when nothing is left).
      const sent = op.kind === 'send' ? (op.final ? row.final_message_id : row.live_message_id) : null;
      const r = await recordPerformed(row, nextOp(stateOf(row), want).kind === 'none', before);
      if (r.done) return;
      if (
        r.takenOver &&
        sent !== null &&
        sent !== r.takenOver.live_message_id &&
        sent !== r.takenOver.final_message_id
      ) {
        // Our message duplicates the other holder's: we alone know its id, so we delete it.
        log.warn(
          { enterprise: row.enterprise, callId: row.call_id, chatId: row.chat_id, messageId: sent },
          'telegram card worked twice: duplicate message deleted',
        );
        const dup = { ...r.takenOver };
        await perform(
          bot.token,
          bot.bot_id,
          dup,
          { kind: 'delete', messageId: Number(sent) },
          want,
          undefined,
          await slot(bot.bot_id, dup),
        );
      }
      row = r.row;
    }
    await release(row.id);
  }

  /**
   * The lanes of the chats: each keeps up to CARDS_PER_CHAT of its due cards in work, claiming as many
   * as there is room for in one query when half the room is free or when woken by new cards.
   */
  const lanes = createLanes<CardRow>({
    perLane: CARDS_PER_CHAT,
    refillAt: CARDS_PER_CHAT / 2,
    idOf: (row) => row.id,
    refill: (key, room, busy) => {
      const [enterprise, chatId] = key.split('\n') as [string, string];
      return claim(enterprise, chatId, room, busy);
    },
    work: (row) =>
      work(row).catch(async (err: unknown) => {
        await release(row.id).catch(() => {});
        if (!stopped)
          log.warn(
            { enterprise: row.enterprise, chatId: row.chat_id, err },
            'telegram card failed; the next round retries',
          );
      }),
    onError: (err, key) => {
      if (!stopped) log.warn({ lane: key, err }, 'telegram lane failed; the next round retries');
    },
  });

  /** Wakes the lane of every chat with a due card; resolves with the ms until the next one falls due. */
  async function scan(): Promise<number> {
    const rows = await sql<{ enterprise: string; chat_id: string; wait_ms: number }[]>`
      select enterprise, chat_id::text,
             extract(epoch from min(greatest(not_before, next_attempt_at, coalesce(lease_until, now()))) - now())::float8 * 1000 as wait_ms
      from telegram_cards where status = 'pending' group by 1, 2`;
    let next = opts.pollMs;
    for (const r of rows) {
      if (r.wait_ms <= 0) lanes.wake(`${r.enterprise}\n${r.chat_id}`);
      else next = Math.min(next, r.wait_ms);
    }
    return next;
  }

  /** Kicks arrive with every commit: scans at most every MIN_SCAN_GAP_MS, and a timer to the next due card. */
  const rounds = createRounds({
    round: scan,
    minGapMs: MIN_SCAN_GAP_MS,
    pollMs: opts.pollMs,
    onError: (err) => log.warn({ err }, 'telegram scan failed; will retry'),
  });
  const kick = rounds.kick;

  return {
    kick,
    hint(enterprise, callId, stage) {
      const key = hintKey(enterprise, callId);
      hints.delete(key);
      hints.set(key, STAGE_RANK[stage]);
      if (hints.size > MAX_HINTS) hints.delete(hints.keys().next().value!);
    },
    stats,
    async idle() {
      for (;;) {
        kick();
        await rounds.idle();
        await lanes.idle();
        const [r] = await sql<{ n: number }[]>`
          select count(*)::int as n from telegram_cards where status = 'pending' and not_before <= now() and next_attempt_at <= now()`;
        if (!r!.n && !lanes.size) return;
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    async stop() {
      stopped = true;
      abort.abort();
      await rounds.stop();
      await lanes.stop();
      await cards.close();
    },
  };
}

const num = (v: string | null) => (v === null ? null : Number(v));
