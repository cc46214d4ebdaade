// Repeated clicks by the same user on the same number within the window start ONE call: the first
// click's request is shared by the repeats (they get its answer). In-process: one retailcrm
// instance serves a host's callbacks; a second instance would need the originates table instead.

export interface ClickDedup {
  /** Runs `start` unless a click with `key` started less than `windowMs` ago; then returns that one's result. */
  run<T>(key: string, start: () => Promise<T>): Promise<{ result: T; repeated: boolean }>;
}

export function createClickDedup(windowMs: number, now: () => number = Date.now): ClickDedup {
  const recent = new Map<string, { at: number; result: Promise<unknown> }>();
  return {
    async run<T>(key: string, start: () => Promise<T>) {
      const t = now();
      for (const [k, v] of recent) if (t - v.at >= windowMs) recent.delete(k); // Map keeps insertion order: cheap sweep
      const hit = recent.get(key);
      if (hit) return { result: (await hit.result) as T, repeated: true };
      const result = start();
      recent.set(key, { at: t, result });
      // A failed start must not block a retry for the whole window.
      result.catch(() => recent.delete(key));
      return { result: await result, repeated: false };
    },
  };
}
