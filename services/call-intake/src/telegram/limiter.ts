// Outbound pacing per bot and per chat, so that the fleet stays under Telegram's flood limits instead
// of discovering them (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
// Each limit keeps a 5 % (at least one request) slack below the configured one: requests reach
// Telegram a few ms after we take the slot, and on a loaded event loop that jitter must not turn an
// exact schedule into a 429 (each 429 costs a whole retry_after second of the bot).

export interface LimiterOptions {
  /** Requests per bot in any second (Telegram: ~30). */
  botPerSecond: number;
  /** Messages per private chat per second (Telegram: ~1) and the burst tolerated. */
  privatePerSecond: number;
  privateBurst: number;
  /** Messages per group per minute (Telegram: 20). */
  groupPerMinute: number;
}

class Window {
  private hits: number[] = [];
  constructor(private readonly max: number, private readonly windowMs: number) {}
  wait(now: number): number {
    while (this.hits.length && this.hits[0]! <= now - this.windowMs) this.hits.shift();
    return this.hits.length < this.max ? 0 : this.hits[0]! + this.windowMs - now + 1;
  }
  take(now: number) {
    this.hits.push(now);
  }
}

class Bucket {
  private tokens: number;
  private at = 0;
  constructor(private readonly rate: number, private readonly burst: number) {
    this.tokens = burst;
  }
  wait(now: number): number {
    if (this.at) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }
  take(now: number) {
    this.wait(now);
    this.tokens -= 1;
  }
}

export interface Limiter {
  /** Resolves when one request to `chatId` of `bot` may go now, and takes the slot. */
  acquire(bot: string, chatId: number | null, signal?: AbortSignal): Promise<void>;
  /** A 429: no request to this bot before `retryAfterSec` has passed (its chats included). */
  pause(bot: string, retryAfterSec: number): void;
}

const PAUSE_MARGIN_MS = 20;
const SLACK = 0.95;
const slack = (n: number) => Math.max(1, Math.min(n - 1, Math.floor(n * SLACK)));

export function createLimiter(opts: LimiterOptions, now: () => number = Date.now): Limiter {
  const bots = new Map<string, { window: Window; pausedUntil: number; chats: Map<number, Window | Bucket> }>();
  const botOf = (b: string) => {
    let s = bots.get(b);
    if (!s) bots.set(b, (s = { window: new Window(slack(opts.botPerSecond), 1000), pausedUntil: 0, chats: new Map() }));
    return s;
  };
  const chatOf = (s: ReturnType<typeof botOf>, chatId: number) => {
    let c = s.chats.get(chatId);
    if (!c) {
      c = chatId > 0
        ? new Bucket(opts.privatePerSecond * SLACK, Math.max(1, opts.privateBurst - 1))
        : new Window(slack(opts.groupPerMinute), 60_000);
      s.chats.set(chatId, c);
    }
    return c;
  };
  return {
    async acquire(bot, chatId, signal) {
      const s = botOf(bot);
      for (;;) {
        if (signal?.aborted) throw new Error('aborted');
        const t = now();
        const chat = chatId === null ? null : chatOf(s, chatId);
        const wait = Math.max(s.pausedUntil - t, s.window.wait(t), chat ? chat.wait(t) : 0);
        if (wait <= 0) {
          s.window.take(t);
          chat?.take(t);
          return;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    },
    pause(bot, sec) {
      const s = botOf(bot);
      s.pausedUntil = Math.max(s.pausedUntil, now() + sec * 1000 + PAUSE_MARGIN_MS);
    },
  };
}
