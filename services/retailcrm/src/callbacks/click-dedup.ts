// Repeated clicks by the same user on the same number within the window start ONE call: the first
// click's request is shared by the repeats (they get its answer). Only a click whose call started
// keeps the window: a failed one (rejected, or an answer `keep` refuses: the asterisk service's
// 400/502/504) is forgotten as soon as it settles, so the manager's retry really tries again.
// In-process: one retailcrm instance serves a host's callbacks; a second instance would need the
// originates table instead.

export interface ClickDedup {
  /**
   * Runs `start` unless a click with `key` started less than `windowMs` ago and has not failed; then
   * returns that one's result. `keep(result)` says whether a resolved result started the call.
   */
  run<T>(
    key: string,
    start: () => Promise<T>,
    keep?: (result: T) => boolean,
  ): Promise<{ result: T; repeated: boolean }>;
}

export function createClickDedup(windowMs: number, now: () => number = Date.now): ClickDedup {
  const recent = new Map<string, { at: number; result: Promise<unknown> }>();
  return {
    async run<T>(key: string, start: () => Promise<T>, keep: (result: T) => boolean = () => true) {
      const t = now();
      for (const [k, v] of recent) if (t - v.at >= windowMs) recent.delete(k); // Map keeps insertion order: cheap sweep
      const hit = recent.get(key);
      if (hit) return { result: (await hit.result) as T, repeated: true };
      const result = start();
      const entry = { at: t, result };
      recent.set(key, entry);
      // Only this entry: after the window a newer click may hold the key.
      const forget = () => {
        if (recent.get(key) === entry) recent.delete(key);
      };
      result.then((r) => (keep(r) ? undefined : forget()), forget);
      return { result: await result, repeated: false };
    },
  };
}
