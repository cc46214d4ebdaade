import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '@fleet/db';
import type { CallSummary } from '@fleet/call-model';
import { finalKeyboard, renderCard, type CardStage } from '@fleet/telegram-render';
import { isFlood, isForbidden, isMessageGone, isNotModified, isTransient, type BotApi } from '@fleet/telegram-client';
import type { Directory } from './directory.ts';
import type { Limiter } from './limiter.ts';
import { nextOp, type CardOp } from './plan.ts';

interface CardRow {
  id: string;
  enterprise: string;
  call_id: string;
  chat_id: string;
  stage: CardStage;
  call: CallSummary;
  version: number;
  live_message_id: string | null;
  live_text: string | null;
  final_message_id: string | null;
  attempts: number;
}

const COLUMNS = 'id::text, enterprise, call_id, chat_id::text, stage, call, version, live_message_id::text, live_text, final_message_id::text, attempts';
/** A card gets at most this many operations per claim (a normal final needs ≤ 2); then others go first. */
const OPS_PER_CLAIM = 6;
const CLAIMERS_PER_CHAT = 1;

export interface CardWorker {
  /** Looks for due cards now (after a commit fed the sink). */
  kick(): void;
  /** Resolves when no lane is running and nothing is due (tests). */
  idle(): Promise<void>;
  stats: { requests: number; floods: number; failures: number; lastError: string | null };
  stop(): Promise<void>;
}

/** Seconds until the next attempt after a transient failure: 1, 2, 4 … 60. */
const backoff = (attempts: number) => Math.min(60, 2 ** Math.max(0, attempts - 1));

/**
 * Delivers telegram_cards: one lane per chat (cards of a chat one after another, oldest call first, so
 * operations of one call in one chat are strictly ordered), lanes of all chats in parallel, each
 * request paced by the limiter. Each Bot API answer is written to the row at once (message ids), so a
 * restart resumes where the database says; a row is claimed with a lease so two instances never send
 * the same card. 429 pauses the bot for exactly retry_after; 403 deactivates the recipient; "not
 * modified" counts as done and "not found" as "no live card" — neither can loop.
 */
export function createCardWorker(opts: {
  sql: Sql;
  api: BotApi;
  limiter: Limiter;
  directory: Directory;
  log: FastifyBaseLogger;
  pollMs: number;
  leaseMs: number;
}): CardWorker {
  const { sql, api, limiter, directory, log } = opts;
  const lanes = new Map<string, { again: boolean; done: Promise<void> }>();
  const stats = { requests: 0, floods: 0, failures: 0, lastError: null as string | null };
  const abort = new AbortController();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | null = null;
  let roundAgain = false;

  async function claim(enterprise: string, chatId: string): Promise<CardRow | undefined> {
    const [row] = await sql<CardRow[]>`
      update telegram_cards set lease_until = now() + make_interval(secs => ${opts.leaseMs / 1000})
      where id = (
        select id from telegram_cards
        where enterprise = ${enterprise} and chat_id = ${chatId} and status = 'pending' and not_before <= now()
          and next_attempt_at <= now() and (lease_until is null or lease_until < now())
        order by id limit 1 for update skip locked)
      returning ${sql.unsafe(COLUMNS)}`;
    return row;
  }

  const reload = async (id: string) => (await sql<CardRow[]>`select ${sql.unsafe(COLUMNS)} from telegram_cards where id = ${id}`)[0]!;
  const renew = (id: string) => sql`update telegram_cards set lease_until = now() + make_interval(secs => ${opts.leaseMs / 1000}) where id = ${id}`;
  const release = (id: string) => sql`update telegram_cards set lease_until = null where id = ${id}`;
  const finish = (id: string, status: 'done' | 'dead', error: string | null) =>
    sql`update telegram_cards set status = ${status}, last_error = ${error}, lease_until = null, updated_at = now() where id = ${id}`;

  /** Works one claimed card until it shows what it should (or cannot). */
  async function work(row: CardRow): Promise<void> {
    for (let n = 0; n < OPS_PER_CLAIM && !stopped; n++) {
      const bot = await directory.bot(row.enterprise);
      if (!bot) return void (await finish(row.id, 'dead', 'no bot for the enterprise'));
      const recipient = await directory.recipient(row.enterprise, row.chat_id);
      if (!recipient?.active) return void (await finish(row.id, 'dead', 'recipient inactive'));
      const rendered = renderCard(row.stage, row.call, await directory.context(row.enterprise));
      const want = { text: rendered.text, loud: !rendered.disableNotification };
      const op = nextOp(
        { stage: row.stage, liveMessageId: num(row.live_message_id), liveText: row.live_text, finalMessageId: num(row.final_message_id) },
        want,
      );
      if (op.kind === 'none') {
        const r = await sql`update telegram_cards set status = 'done', last_error = null, lease_until = null, updated_at = now()
                            where id = ${row.id} and version = ${row.version}`;
        if (r.count) return;
        row = await reload(row.id); // the sink moved the card on meanwhile
        continue;
      }
      // The lease is renewed BEFORE waiting for the limiter: a query between taking the slot and
      // sending would bunch requests up and turn an exact schedule into 429s.
      if (n > 0) await renew(row.id); // the claim itself set the first lease
      const waitStart = Date.now();
      await limiter.acquire(bot.bot_id, Number(row.chat_id), abort.signal);
      if (Date.now() - waitStart > opts.leaseMs / 2) await renew(row.id); // a long group-chat wait
      const markup = row.stage === 'final' ? finalKeyboard({ extension: recipient.extension, callbackData: `call:${row.id}` }) : undefined;
      const outcome = await perform(bot.token, bot.bot_id, row, op, want, markup);
      if (outcome === 'stop') return;
      // perform() wrote the answer to the row and to `row`; a newer stage is caught by the version
      // check when the card is marked done (then the row is reloaded).
    }
    await release(row.id);
  }

  /** One Bot API request and its bookkeeping; 'stop' when the card must not be worked on now. */
  async function perform(
    token: string,
    botId: string,
    row: CardRow,
    op: Exclude<CardOp, { kind: 'none' }>,
    want: { text: string; loud: boolean },
    markup: unknown,
  ): Promise<'next' | 'stop'> {
    const chat_id = Number(row.chat_id);
    const bind = { enterprise: row.enterprise, callId: row.call_id, chatId: row.chat_id, op: op.kind };
    stats.requests++;
    try {
      if (op.kind === 'send') {
        const m = await api.call<{ message_id: number }>(token, 'sendMessage', {
          chat_id, text: want.text, parse_mode: 'HTML', disable_notification: !want.loud,
          link_preview_options: { is_disabled: true }, ...(markup ? { reply_markup: markup } : {}),
        });
        if (op.final) {
          await sql`update telegram_cards set final_message_id = ${m.message_id} where id = ${row.id}`;
          row.final_message_id = String(m.message_id);
        } else {
          await sql`update telegram_cards set live_message_id = ${m.message_id}, live_text = ${want.text} where id = ${row.id}`;
          Object.assign(row, { live_message_id: String(m.message_id), live_text: want.text });
        }
      } else if (op.kind === 'edit') {
        try {
          await api.call(token, 'editMessageText', {
            chat_id, message_id: op.messageId, text: want.text, parse_mode: 'HTML',
            link_preview_options: { is_disabled: true }, ...(markup ? { reply_markup: markup } : {}),
          });
        } catch (e) {
          if (!isNotModified(e)) throw e;
        }
        if (op.final) {
          await sql`update telegram_cards set final_message_id = live_message_id, live_message_id = null, live_text = null where id = ${row.id}`;
          Object.assign(row, { final_message_id: row.live_message_id, live_message_id: null, live_text: null });
        } else {
          await sql`update telegram_cards set live_text = ${want.text} where id = ${row.id}`;
          row.live_text = want.text;
        }
      } else {
        await api.call(token, 'deleteMessage', { chat_id, message_id: op.messageId });
        await sql`update telegram_cards set live_message_id = null, live_text = null where id = ${row.id}`;
        Object.assign(row, { live_message_id: null, live_text: null });
      }
      return 'next';
    } catch (e) {
      const err = e as Error;
      if (isFlood(e)) {
        stats.floods++;
        limiter.pause(botId, e.retryAfter ?? 1);
        log.warn({ ...bind, retryAfter: e.retryAfter }, 'telegram flood limit: pausing the bot');
        return 'next';
      }
      if (isMessageGone(e) && op.kind !== 'send') {
        // Deleted by the user (or too old): there is no live card any more; a final goes as a new message.
        await sql`update telegram_cards set live_message_id = null, live_text = null where id = ${row.id}`;
        Object.assign(row, { live_message_id: null, live_text: null });
        return 'next';
      }
      stats.failures++;
      stats.lastError = err.message;
      await sql`update telegram_bots set last_error = ${err.message.slice(0, 500)}, last_error_at = now() where enterprise = ${row.enterprise}`;
      if (isForbidden(e)) {
        log.info(bind, 'telegram chat blocked the bot: recipient deactivated');
        await sql`update telegram_recipients set active = false, updated_at = now() where enterprise = ${row.enterprise} and chat_id = ${row.chat_id}`;
        directory.forget(`rcp:${row.enterprise}:${row.chat_id}`);
        await finish(row.id, 'dead', err.message);
        return 'stop';
      }
      if (isTransient(e)) {
        log.warn({ ...bind, error: err.message }, 'telegram request failed; will retry');
        await sql`update telegram_cards set attempts = attempts + 1, last_error = ${err.message},
                  next_attempt_at = now() + make_interval(secs => ${backoff(row.attempts + 1)}), lease_until = null
                  where id = ${row.id}`;
        return 'stop';
      }
      // Any other 4xx is our bug (bad HTML, bad markup): retrying cannot help; keep the reason.
      log.error({ ...bind, error: err.message }, 'telegram refused a card operation');
      await finish(row.id, 'dead', err.message);
      return 'stop';
    }
  }

  function runLane(enterprise: string, chatId: string): void {
    const key = `${enterprise}\n${chatId}`;
    const existing = lanes.get(key);
    if (existing) {
      existing.again = true;
      return;
    }
    const lane = { again: false, done: Promise.resolve() };
    // A few claimers per chat: each card (call) is still worked by one at a time, so operations of a
    // call in a chat stay ordered, while the database round trips of different calls overlap and the
    // limiter — not our latency — sets the pace.
    const claimer = async () => {
      try {
        while (!stopped) {
          const row = await claim(enterprise, chatId);
          if (!row) {
            if (!lane.again) break;
            lane.again = false;
            continue;
          }
          await work(row).catch(async (e: unknown) => {
            await release(row.id).catch(() => {});
            throw e;
          });
        }
      } catch (err) {
        if (!stopped) log.warn({ enterprise, chatId, err }, 'telegram lane failed; the next round retries');
      }
    };
    lane.done = Promise.all(Array.from({ length: CLAIMERS_PER_CHAT }, claimer)).then(() => void lanes.delete(key));
    lanes.set(key, lane);
  }

  async function scan(): Promise<void> {
    const rows = await sql<{ enterprise: string; chat_id: string; wait_ms: number }[]>`
      select enterprise, chat_id::text,
             extract(epoch from min(greatest(not_before, next_attempt_at, coalesce(lease_until, now()))) - now()) * 1000 as wait_ms
      from telegram_cards where status = 'pending' group by 1, 2`;
    let next = opts.pollMs;
    for (const r of rows) {
      if (r.wait_ms <= 0) runLane(r.enterprise, r.chat_id);
      else next = Math.min(next, r.wait_ms);
    }
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(kick, Math.max(5, Math.ceil(next)));
  }

  function kick(): void {
    if (stopped) return;
    if (round) {
      roundAgain = true;
      return;
    }
    round = (async () => {
      try {
        do {
          roundAgain = false;
          await scan();
        } while (roundAgain && !stopped);
      } catch (err) {
        log.warn({ err }, 'telegram scan failed; will retry');
        clearTimeout(timer);
        if (!stopped) timer = setTimeout(kick, opts.pollMs);
      } finally {
        round = null;
      }
    })();
  }

  return {
    kick,
    stats,
    async idle() {
      for (;;) {
        kick();
        await round;
        await Promise.all([...lanes.values()].map((l) => l.done));
        const [r] = await sql<{ n: number }[]>`
          select count(*)::int as n from telegram_cards where status = 'pending' and not_before <= now() and next_attempt_at <= now()`;
        if (!r!.n && !lanes.size) return;
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    async stop() {
      stopped = true;
      abort.abort();
      clearTimeout(timer);
      await round;
      await Promise.all([...lanes.values()].map((l) => l.done));
    },
  };
}

const num = (v: string | null) => (v === null ? null : Number(v));
