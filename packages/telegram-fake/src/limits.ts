// The flood limits of https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
// as the fake enforces them: per bot N requests in any 1 s window; per private chat a token bucket
// (rate per second, small burst); per group M messages in any 60 s window. Edits and deletes count.

export interface FakeLimits {
  /** Chat requests per bot in any 1000 ms window (default 30). */
  botPerSecond: number;
  /** Private chat refill rate, messages per second (default 1). */
  privatePerSecond: number;
  /** Private chat bucket size (default 3: short bursts are tolerated). */
  privateBurst: number;
  /** Messages per group chat in any 60 s window (default 20). */
  groupPerMinute: number;
}

export const DEFAULT_LIMITS: FakeLimits = {
  botPerSecond: 30,
  privatePerSecond: 1,
  privateBurst: 3,
  groupPerMinute: 20,
};

/** Sliding window: at most `max` hits in any `windowMs`; `check` returns ms until a slot frees (0 = free). */
export class Window {
  private hits: number[] = [];
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}
  check(now: number): number {
    while (this.hits.length && this.hits[0]! <= now - this.windowMs) this.hits.shift();
    return this.hits.length < this.max ? 0 : this.hits[0]! + this.windowMs - now;
  }
  take(now: number): void {
    this.hits.push(now);
  }
}

/** Token bucket; `check` returns ms until one token is available (0 = available). */
export class Bucket {
  private tokens: number;
  private at = 0;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  private refill(now: number): void {
    if (this.at) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
  check(now: number): number {
    this.refill(now);
    return this.tokens >= 1 - 1e-9 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }
}
