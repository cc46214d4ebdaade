// A counting semaphore with a bounded, deadline-limited queue (p-limit has neither bound nor deadline).

export interface Limiter {
  /** Resolves with a release function; rejects with `busy()` when the queue is full or `waitMs` passes. */
  acquire(waitMs: number): Promise<() => void>;
  readonly active: number;
  readonly queued: number;
}

export function createLimiter(max: number, maxQueue: number, busy: () => Error): Limiter {
  let active = 0;
  const queue: Array<{ grant: () => void }> = [];

  const release = () => {
    active -= 1;
    const next = queue.shift();
    if (next) next.grant();
  };

  return {
    acquire(waitMs) {
      if (active < max) {
        active += 1;
        return Promise.resolve(once(release));
      }
      if (queue.length >= maxQueue) return Promise.reject(busy());
      return new Promise((resolve, reject) => {
        const waiter = {
          grant: () => {
            clearTimeout(timer);
            active += 1;
            resolve(once(release));
          },
        };
        const timer = setTimeout(() => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(busy());
        }, waitMs);
        queue.push(waiter);
      });
    },
    get active() {
      return active;
    },
    get queued() {
      return queue.length;
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
