// Outbound pacing per bot and per chat, so that the fleet stays under Telegram's flood limits instead
// of discovering them (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
//
// Why it holds under jitter: Telegram counts a request when it RECEIVES it, somewhere between the
// moment we grant the slot and the moment its answer reaches us. So a slot is held from the grant
// until the answer arrives, and only then starts its window (bot: 1 s, group: 60 s); a later grant
// therefore can never land in the same window at Telegram, however the requests were delayed on the
// way. A private chat has one request in flight at a time and its spacing is measured from the
// previous requests' answers, for the same reason. (Taking slots at the grant was exact only while requests left one by one: with many
// cards in flight, a late request and a prompt one bunched up at Telegram and drew 429s, and requests
// already on their way when the 429 came were sent inside retry_after.)
//
// Many requests may wait at once (the worker keeps several cards per chat in flight), so waiting is a
// queue per bot: one timer per bot grants slots in arrival order to every waiter whose chat is free;
// the slot is reserved when granted, before the caller sends.

export interface LimiterOptions {
  /** Requests per bot in any second (Telegram: ~30). */
  botPerSecond: number;
  /** Messages per private chat per second (Telegram: ~1) and the burst tolerated. */
  privatePerSecond: number;
  privateBurst: number;
  /** Messages per group per minute (Telegram: 20). */
  groupPerMinute: number;
}

/** At most `max` slots in any `windowMs`, a slot counting from its grant until `windowMs` after its release. */
class Window {
  private slots: { until: number }[] = [];
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}
  /** ms until a slot is free: 0 now, Infinity when only a release can free one. */
  wait(now: number): number {
    this.slots = this.slots.filter((s) => s.until > now);
    if (this.slots.length < this.max) return 0;
    const first = Math.min(...this.slots.map((s) => s.until));
    return first === Infinity ? Infinity : first - now + 1;
  }
  take(): (at: number | null) => void {
    const slot = { until: Infinity };
    this.slots.push(slot);
    return (at) => void (slot.until = at === null ? 0 : at + this.windowMs);
  }
}

/**
 * A private chat's token bucket (`rate`/s, `burst`, starting full), one request in flight at a time.
 * A sequence of arrivals fits such a bucket iff any k + 1 consecutive ones span at least
 * (k + 1 − burst) / rate seconds; Telegram receives request i no later than its answer reached us,
 * so measuring each span from the earlier request's ANSWER keeps the chat within its bucket however
 * the requests were delayed, and one request's delay is not paid again by every later one.
 */
class Bucket {
  /** Answer times (ms) of the latest requests, oldest first. */
  private answers: number[] = [];
  private busy = false;
  private readonly keep: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.keep = Math.max(1, Math.ceil(burst + rate * 60));
  }
  wait(now: number): number {
    if (this.busy) return Infinity;
    let wait = 0;
    const n = this.answers.length;
    for (let i = 0; i < n; i++) {
      const span = n - i + 1 - this.burst; // requests from answers[i] to the next one, beyond the burst
      if (span > 0) wait = Math.max(wait, Math.ceil(this.answers[i]! + (span / this.rate) * 1000 - now) + 1);
    }
    return wait;
  }
  take(): (at: number | null) => void {
    this.busy = true;
    return (at) => {
      this.busy = false;
      if (at === null) return;
      this.answers.push(at);
      if (this.answers.length > this.keep) this.answers.shift();
    };
  }
}

/**
 * Call when the request's answer (or failure) has arrived; idempotent. `unused`: the request was
 * never sent, the slot goes back as if never taken.
 */
export type Release = (unused?: boolean) => void;

export interface Limiter {
  /**
   * Resolves when one request to `chatId` of `bot` may go now, the slot already reserved; the request's
   * owner calls the returned Release once the answer (or the failure) is in. Waiters are served in
   * arrival order, except that one whose chat is at its limit lets others pass.
   * @throws Error('aborted') when `signal` aborts first (nothing reserved)
   */
  acquire(bot: string, chatId: number | null, signal?: AbortSignal): Promise<Release>;
  /**
   * A 429: no request to this bot before `retryAfterSec` has passed (all its chats included), and no
   * longer. Bot-wide on purpose, whichever chat drew it: Telegram's answer gives retry_after but not
   * the limit that was hit (the bot's ~30/s or that chat's), and shared/domain/telegram.md asks to wait
   * it "before the next request to that bot or chat"; not knowing which, only the bot covers both.
   * Pausing just the chat would send to the bot's other chats inside a bot-wide retry_after (what
   * the fault suite's injected 429s are). The cost is small: with every limit paced here a 429 is rare
   * (none in the burst test), and other chats wait exactly retry_after, never more.
   */
  pause(bot: string, retryAfterSec: number): void;
}

/** Extra wait after a retry_after, against clock granularity. */
const PAUSE_MARGIN_MS = 20;

interface Waiter {
  chat: Window | Bucket | null;
  grant(release: Release): void;
}

interface BotState {
  window: Window;
  pausedUntil: number;
  chats: Map<number, Window | Bucket>;
  queue: Waiter[];
  timer?: NodeJS.Timeout;
}

export function createLimiter(opts: LimiterOptions, now: () => number = Date.now): Limiter {
  const bots = new Map<string, BotState>();
  const botOf = (b: string) => {
    let s = bots.get(b);
    if (!s)
      bots.set(b, (s = { window: new Window(opts.botPerSecond, 1000), pausedUntil: 0, chats: new Map(), queue: [] }));
    return s;
  };
  const chatOf = (s: BotState, chatId: number) => {
    let c = s.chats.get(chatId);
    if (!c) {
      c = chatId > 0 ? new Bucket(opts.privatePerSecond, opts.privateBurst) : new Window(opts.groupPerMinute, 60_000);
      s.chats.set(chatId, c);
    }
    return c;
  };

  /** Grants every slot that is free now, in queue order; sleeps until the next one could be. */
  function pump(s: BotState): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    const t = now();
    let next = Infinity;
    if (s.pausedUntil > t) next = s.pausedUntil - t;
    else {
      for (let i = 0; i < s.queue.length; ) {
        const botWait = s.window.wait(t);
        if (botWait > 0) {
          next = botWait;
          break;
        }
        const w = s.queue[i]!;
        const chatWait = w.chat ? w.chat.wait(t) : 0;
        if (chatWait > 0) {
          next = Math.min(next, chatWait);
          i++;
          continue;
        }
        const endBot = s.window.take();
        const endChat = w.chat?.take();
        s.queue.splice(i, 1);
        let released = false;
        w.grant((unused) => {
          if (released) return;
          released = true;
          const at = unused ? null : now();
          endBot(at);
          endChat?.(at);
          pump(s);
        });
      }
    }
    // Infinity: only a release (which pumps) can free a slot.
    if (s.queue.length && next < Infinity) s.timer = setTimeout(() => pump(s), Math.max(1, next));
  }

  return {
    acquire(bot, chatId, signal) {
      const s = botOf(bot);
      const chat = chatId === null ? null : chatOf(s, chatId);
      return new Promise<Release>((resolve, reject) => {
        if (signal?.aborted) return reject(new Error('aborted'));
        const onAbort = () => {
          const i = s.queue.indexOf(waiter);
          if (i >= 0) s.queue.splice(i, 1);
          reject(new Error('aborted'));
        };
        const waiter: Waiter = {
          chat,
          grant: (release) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        s.queue.push(waiter);
        pump(s);
      });
    },
    pause(bot, sec) {
      const s = botOf(bot);
      s.pausedUntil = Math.max(s.pausedUntil, now() + sec * 1000 + PAUSE_MARGIN_MS);
      pump(s);
    },
  };
}
