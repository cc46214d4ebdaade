// Done marks, coalesced: the rows that finish within a few ms of each other are marked done by one
// statement (`where id = any($1)`) instead of one each — the last per-row statement of a popup's
// delivery, and PostgreSQL CPU per popup is what issue 12 cuts. A failed write is retried while the
// lease still holds the row; after that the row is worked again by whoever claims it (at worst it is
// sent twice, which every queue on this package already tolerates: a lease can always run out).

export interface DoneMarks {
  /** Queues `id`; resolves once written, rejects when given up (after giveUpMs of failed writes). */
  add(id: string): Promise<void>;
  /** Writes what is queued now; resolves when written or queued for a retry (never rejects). */
  flush(): Promise<void>;
  /** flush(), then gives up what still failed (its add() rejects, its lease runs out): at stop. */
  close(): Promise<void>;
}

interface Waiter {
  id: string;
  since: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Retry delay after a failed write, ms. */
const RETRY_MS = 1000;

/**
 * Creates the coalescer over `write` (one statement for all ids). Marks wait `windowMs` for company;
 * a failed write is retried after RETRY_MS until a mark is `giveUpMs` old (then it rejects).
 */
export function createDoneMarks(o: {
  write: (ids: string[]) => Promise<void>;
  windowMs: number;
  giveUpMs: number;
  onError: (err: unknown, ids: string[]) => void;
}): DoneMarks {
  let queued: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | null = null;

  const schedule = (ms: number) => {
    if (!timer) timer = setTimeout(() => void flush(), ms);
  };

  async function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    while (writing) await writing;
    if (!queued.length) return;
    const batch = queued;
    queued = [];
    writing = (async () => {
      try {
        await o.write(batch.map((w) => w.id));
        for (const w of batch) w.resolve();
      } catch (err) {
        o.onError(
          err,
          batch.map((w) => w.id),
        );
        const now = Date.now();
        for (const w of batch) {
          if (now - w.since >= o.giveUpMs) w.reject(err);
          else queued.push(w);
        }
        if (queued.length) schedule(RETRY_MS);
      } finally {
        writing = null;
      }
    })();
    await writing;
  }

  return {
    add(id) {
      return new Promise<void>((resolve, reject) => {
        queued.push({ id, since: Date.now(), resolve, reject });
        schedule(o.windowMs);
      });
    },
    flush,
    async close() {
      await flush();
      clearTimeout(timer);
      timer = undefined;
      for (const w of queued.splice(0)) w.reject(new Error('done mark not written before stop'));
    },
  };
}
