import fp from 'fastify-plugin';
import type { Sql } from '@fleet/db';
import { createBotApi } from '@fleet/telegram-client';
import { createBotReader } from './bots.ts';
import { createCallerIdentity } from './caller-identity.ts';
import { createClickToCall } from './click-to-call.ts';
import { createDirectory } from './directory.ts';
import { createLimiter, type LimiterOptions } from './limiter.ts';
import { startPolling } from './polling.ts';
import { createTelegramSink } from './sink.ts';
import { createUpdateHandler, type UpdateHandler } from './updates.ts';
import { webhookRoutes } from './webhook.ts';
import { createCardWorker, type CardWorker } from './worker.ts';

export interface TelegramOptions {
  sql: Sql;
  /** Bot API root (TELEGRAM_API_ROOT): Telegram, a local Bot API server or the fake. */
  apiRoot: string;
  /** How updates arrive; the card worker runs either way. */
  mode: 'webhook' | 'polling';
  limits: LimiterOptions;
  greetingDelayMs: number;
  timeoutMs: number;
  /** services/asterisk for click-to-call (ASTERISK_URL). */
  asteriskUrl: string;
  /** services/retailcrm for the caller's name and CRM links on cards (RETAILCRM_URL). */
  retailcrmUrl: string;
  /** The longest a card waits for the caller's name (TELEGRAM_CALLER_WAIT_MS). */
  callerWaitMs: number;
  pollMs: number;
  /** Run the card worker and polling (off in some tests, like the other workers). */
  workers: boolean;
  /** AES-256-GCM key of the bot tokens at rest (SECRETS_KEY); null reads only legacy plain tokens. */
  secretsKey: Buffer | null;
}

const CLICK_TO_CALL_TIMEOUT_MS = 12_000;
/**
 * A card waits at most TELEGRAM_CALLER_WAIT_MS for the caller's name; the request itself may take
 * CALLER_TIMEOUT_MS (above services/retailcrm's own deadline, 1.2 s by default), and a late answer shows
 * on the card's next edit.
 */
const CALLER_TIMEOUT_MS = 2_000;

declare module 'fastify' {
  interface FastifyInstance {
    telegram: { worker: CardWorker; handleUpdate: UpdateHandler };
  }
}

/**
 * Managers' Telegram (shared/domain/telegram.md) inside call-intake: the sink that turns call effects
 * into card rows in the processing transaction, the card worker, the webhook route and polling.
 */
export default fp(
  async (app, opts: TelegramOptions) => {
    const api = createBotApi({ apiRoot: opts.apiRoot, timeoutMs: opts.timeoutMs });
    const limiter = createLimiter(opts.limits);
    const log = app.log.child({ component: 'telegram' });
    const bots = createBotReader(opts.sql, opts.secretsKey, log);
    const directory = createDirectory(opts.sql, bots);
    const identity = createCallerIdentity({
      retailcrmUrl: opts.retailcrmUrl,
      waitMs: opts.callerWaitMs,
      // A late answer must still be able to arrive after the card stopped waiting.
      timeoutMs: Math.max(CALLER_TIMEOUT_MS, 4 * opts.callerWaitMs),
      log,
    });
    const worker = createCardWorker({
      sql: opts.sql,
      api,
      limiter,
      directory,
      log,
      pollMs: opts.pollMs,
      leaseMs: opts.timeoutMs + 5000,
      identity,
    });
    // Within the asterisk service's own bounds (connect 5 s + command 10 s) and Telegram's patience
    // with an unanswered button.
    const callBack = createClickToCall({
      sql: opts.sql,
      asteriskUrl: opts.asteriskUrl,
      timeoutMs: CLICK_TO_CALL_TIMEOUT_MS,
      region: async (enterprise) => (await directory.context(enterprise)).region,
      log,
    });
    const handleUpdate = createUpdateHandler({ sql: opts.sql, api, limiter, directory, log, callBack });
    app.decorate('telegram', { worker, handleUpdate });
    // Stage hints reach the worker after the commit that wrote them (the sink runs inside the
    // transaction): a card re-planning on a hint then finds the new stage in the row.
    const hints: Parameters<CardWorker['hint']>[] = [];
    app.processor.addSink(
      createTelegramSink({ greetingDelayMs: opts.greetingDelayMs, onStage: (...h) => void hints.push(h) }),
    );
    app.processor.onDeliveries(() => {
      for (const h of hints.splice(0)) worker.hint(...h);
      if (opts.workers) worker.kick();
    });
    webhookRoutes(app, { bots, handle: handleUpdate });
    let polling: { stop(): Promise<void> } | undefined;
    if (opts.workers) {
      app.addHook('onReady', async () => {
        worker.kick();
        if (opts.mode === 'polling') polling = startPolling({ sql: opts.sql, bots, api, handle: handleUpdate, log });
      });
    }
    app.addHook('onClose', async () => {
      await polling?.stop();
      await worker.stop();
      await identity.close();
      await api.close();
    });
  },
  { name: 'telegram', dependencies: ['call-processor'] },
);
