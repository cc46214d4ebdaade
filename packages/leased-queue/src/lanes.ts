// Lanes of a leased queue: items grouped by a key (a call for the outbox, a chat for Telegram cards).
// A lane works at most `perLane` of its items at once, in the order they arrived (1: strictly one after
// the other); at most `concurrency` lanes work at once, the others waiting in arrival order (p-limit).
// A waiting lane is only its queue: under a backlog of thousands of calls, a running loop per call cost
// call-intake ~30 MB more peak memory (pnpm bench, loads 1–2). A lane either works what it is given
// (push) or claims more itself (refill) whenever it has room.
import pLimit from 'p-limit';

/** What a work function sees of its lane. */
export interface LaneHandle<T> {
  readonly key: string;
  /**
   * Takes the lane's items not yet started out of it (their push() promises resolve): a failed item
   * reschedules those behind it, so that none overtakes it.
   */
  drain(): T[];
}

export interface LanesOptions<T> {
  /** Items of one lane worked at once (1: in order). */
  perLane: number;
  /**
   * Lanes working at once (default: unbounded); a lane keeps its slot until it has nothing left, so with
   * perLane 1 this is also the bound on items worked at once.
   */
  concurrency?: number;
  /** The item's id, unique within its lane (refill's `busy`). */
  idOf: (item: T) => string;
  /** Works one item. A throw is reported to onError; the lane goes on with its other items. */
  work: (item: T, lane: LaneHandle<T>) => Promise<void>;
  /**
   * Claims up to `room` more items of the lane, none of `busy` (ids in work). Called when the lane has
   * at least `refillAt` room, or any room after wake(). Absent: the lane works only what is pushed.
   */
  refill?: (key: string, room: number, busy: string[]) => Promise<T[]>;
  /** Room at which a running lane claims again without a wake (default 1). */
  refillAt?: number;
  /** A lane has nothing left in work or queued, and ended. */
  onLaneIdle?: (key: string) => void;
  onError: (err: unknown, key: string) => void;
}

export interface Lanes<T> {
  /** Appends claimed items to the lane of `key` (starting it); resolves when they are worked or drained. */
  push(key: string, items: T[]): Promise<void>;
  /** Starts the lane of `key`, or makes a running one claim again (refill) as soon as it has room. */
  wake(key: string): void;
  /** Lanes running now. */
  readonly size: number;
  /** Resolves when no lane is running. */
  idle(): Promise<void>;
  /** Lanes stop claiming; items pushed or in work still finish. Resolves when every lane ended. */
  stop(): Promise<void>;
}

interface Queued<T> {
  item: T;
  settle: () => void;
}

interface Lane<T> {
  queue: Queued<T>[];
  again: boolean;
  wake: () => void;
  done: Promise<void>;
}

/** Creates the lanes (see LanesOptions). */
export function createLanes<T>(o: LanesOptions<T>): Lanes<T> {
  const lanes = new Map<string, Lane<T>>();
  const limit = pLimit(o.concurrency ?? Number.POSITIVE_INFINITY);
  const refillAt = o.refillAt ?? 1;
  let stopped = false;

  /** The lane of `key`, started (with `items` queued first) when it was not running. */
  function start(key: string, items: Queued<T>[] = []): Lane<T> {
    const existing = lanes.get(key);
    if (existing) {
      existing.queue.push(...items);
      existing.wake();
      return existing;
    }
    const lane: Lane<T> = { queue: items, again: true, wake: () => {}, done: Promise.resolve() };
    lanes.set(key, lane);
    const inFlight = new Map<string, Promise<void>>();
    const handle: LaneHandle<T> = {
      key,
      drain: () =>
        lane.queue.splice(0).map((q) => {
          q.settle();
          return q.item;
        }),
    };
    const run = async () => {
      try {
        for (;;) {
          const woken = new Promise<void>((r) => {
            lane.wake = r;
          });
          const room = o.perLane - inFlight.size - lane.queue.length;
          if (o.refill && !stopped && room > 0 && (room >= refillAt || lane.again)) {
            lane.again = false;
            const busy = [...inFlight.keys(), ...lane.queue.map((q) => o.idOf(q.item))];
            for (const item of await o.refill(key, room, busy)) lane.queue.push({ item, settle: () => {} });
          }
          while (inFlight.size < o.perLane && lane.queue.length) {
            const { item, settle } = lane.queue.shift()!;
            const id = o.idOf(item);
            const task = o
              .work(item, handle)
              .catch((err: unknown) => o.onError(err, key))
              .finally(() => {
                inFlight.delete(id);
                settle();
              });
            inFlight.set(id, task);
          }
          if (!inFlight.size) {
            if (lane.again && o.refill && !stopped) continue;
            lanes.delete(key); // synchronously: a push from now on starts a new lane
            break;
          }
          await Promise.race([...inFlight.values(), woken]);
        }
      } catch (err) {
        o.onError(err, key);
      } finally {
        await Promise.allSettled(inFlight.values());
        // Only after a refill threw: what was queued is left to its lease (another round claims it).
        for (const q of lane.queue.splice(0)) q.settle();
        if (lanes.get(key) === lane) lanes.delete(key);
        o.onLaneIdle?.(key);
      }
    };
    lane.done = o.concurrency === undefined ? run() : limit(run);
    return lane;
  }

  return {
    push(key, items) {
      if (!items.length) return Promise.resolve();
      const queued: Queued<T>[] = [];
      const settled = items.map((item) => new Promise<void>((settle) => queued.push({ item, settle: () => settle() })));
      start(key, queued);
      return Promise.all(settled).then(() => {});
    },
    wake(key) {
      if (stopped) return;
      const lane = lanes.get(key);
      if (!lane) return void start(key);
      lane.again = true;
      lane.wake();
    },
    get size() {
      return lanes.size;
    },
    async idle() {
      while (lanes.size) await Promise.all([...lanes.values()].map((l) => l.done));
    },
    async stop() {
      stopped = true;
      while (lanes.size) await Promise.all([...lanes.values()].map((l) => l.done));
    },
  };
}
