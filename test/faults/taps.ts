// What the fault suite adds to the strict fakes, through their Fastify instances (hooks run after the
// fakes' own): a record of every RetailCRM request (arrival and answer), and Telegram 429s with
// retry_after injected at random.
import type { RetailCrmFake } from '@fleet/retailcrm-fake';
import type { TelegramFake } from '@fleet/telegram-fake';
import type { Rng } from '../support/rng.ts';

export interface CrmRequest {
  path: string;
  start: number;
  /** When the answer was sent (undefined: never, e.g. the client was killed). */
  end?: number;
  status?: number;
}

export interface CrmTap {
  requests: CrmRequest[];
}

/** Must be called before the fake listens. */
export function tapCrm(crm: RetailCrmFake): CrmTap {
  const tap: CrmTap = { requests: [] };
  const records = new WeakMap<object, CrmRequest>();
  crm.app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    const r: CrmRequest = { path: req.url.split('?')[0]!, start: Date.now() };
    records.set(req, r);
    tap.requests.push(r);
  });
  crm.app.addHook('onResponse', async (req, reply) => {
    const r = records.get(req);
    if (!r) return;
    r.end = Date.now();
    r.status = reply.statusCode;
  });
  return tap;
}

export interface TelegramTap {
  injected429: number;
  /** When each injected 429 was answered, by bot username. */
  answered429: Array<{ bot: string; t: number }>;
}

const CHAT_METHODS = new Set(['sendMessage', 'editMessageText', 'deleteMessage']);

/**
 * Answers `ratio` of the chat requests 429 with retry_after 1–`maxRetryAfterSec` s, and tells the
 * fake's own bookkeeping, so a request to the bot before it expires is recorded as a violation.
 * Must be called before the fake listens.
 */
export function tap429(tg: TelegramFake, rng: Rng, ratio: number, maxRetryAfterSec = 2): TelegramTap {
  const tap: TelegramTap = { injected429: 0, answered429: [] };
  tg.app.addHook('onRequest', async (req, reply) => {
    const m = /^\/bot([^/]+)\/(\w+)/.exec(req.url);
    if (!m || !CHAT_METHODS.has(m[2]!)) return;
    const bot = (() => {
      try {
        return tg.bot(decodeURIComponent(m[1]!));
      } catch {
        return null;
      }
    })();
    if (!bot || !rng.chance(ratio)) return;
    const now = Date.now();
    // Already paused: the fake itself answers (and records the violation).
    if ((bot.retryUntil.get('bot') ?? 0) > now) return;
    const sec = rng.int(1, maxRetryAfterSec);
    bot.retryUntil.set('bot', now + sec * 1000);
    tap.injected429++;
    tap.answered429.push({ bot: bot.username, t: now });
    return reply.code(429).send({
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${sec}`,
      parameters: { retry_after: sec },
    });
  });
  return tap;
}
