// The coalesced round loop of a leased queue: kicks arrive far more often than rounds are worth running
// (one per processor commit), so a kick during a round asks for exactly one more round, rounds are at
// least `minGapMs` apart when kicked back to back, and a timer runs the next round when the round
// itself says when something falls due (or after `pollMs`).

/** What a queue does in one round; resolves with the ms until its next due item, or undefined (poll). */
export type Round = () => Promise<number | undefined>;

export interface RoundsOptions {
  round: Round;
  /** Minimum time between the starts of two back-to-back rounds, ms (default 0). */
  minGapMs?: number;
  /** Without it, only kicks run rounds; with it, a round is armed after every round (next due or this). */
  pollMs?: number;
  /** Floor of the timer to the next due item, ms (default 5): due times in the past still wait this. */
  minTimerMs?: number;
  /** A round threw: logged by the caller; the timer (if any) retries after `pollMs`. */
  onError: (err: unknown) => void;
}

export interface Rounds {
  /** Runs a round now, or one more after the running one. No-op after stop(). */
  kick(): void;
  /** Resolves when no round is running (a round kicked meanwhile is awaited too). */
  idle(): Promise<void>;
  /** Whether a round is running now. */
  readonly running: boolean;
  /** No more rounds or timers; resolves when the running round ended. */
  stop(): Promise<void>;
}

/**
 * Creates the round loop: one round at a time; a kick during a round runs one more after it (many
 * kicks, one more round); `minGapMs` between back-to-back rounds; a timer to the due time the round
 * returned (at least `minTimerMs`) or to `pollMs`. A throwing round is reported to `onError` and
 * ends the loop; with `pollMs` the timer tries again after it.
 */
export function createRounds(o: RoundsOptions): Rounds {
  const minGap = o.minGapMs ?? 0;
  let current: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const arm = (ms: number) => {
    clearTimeout(timer);
    if (!stopped && o.pollMs !== undefined) timer = setTimeout(kick, ms);
  };

  function kick(): void {
    if (stopped) return;
    if (current) {
      again = true;
      return;
    }
    current = (async () => {
      try {
        do {
          again = false;
          const started = Date.now();
          const next = await o.round();
          arm(next === undefined ? (o.pollMs ?? 0) : Math.max(o.minTimerMs ?? 5, Math.ceil(next)));
          const gap = minGap - (Date.now() - started);
          if (again && gap > 0) await new Promise((r) => setTimeout(r, gap));
        } while (again && !stopped);
      } catch (err) {
        o.onError(err);
        arm(o.pollMs ?? 0);
      } finally {
        current = null;
      }
    })();
  }

  return {
    kick,
    get running() {
      return current !== null;
    },
    async idle() {
      while (current) await current;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (current) await current;
    },
  };
}
