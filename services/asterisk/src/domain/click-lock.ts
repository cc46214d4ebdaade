// Per-(host, extension) serialisation of click-to-call (issue 15.1). A host whose dialplan reads
// ${DB(extcall/nextcall_<ext>)} shows the manager whatever the LAST `database put` stored: two clicks
// of one extension whose puts and originates interleave show each other's client. So the puts, the
// originate and the look that confirms the channel (the dialplan has read the value by then) of one
// click run as one unit per (host, extension):
// - within an instance, a promise chain per key (one waiter holds a database connection, not all);
// - across instances, a PostgreSQL session advisory lock on a reserved connection, tried every
//   POLL_MS until the request's deadline (a blocking pg_advisory_lock could not honour it). The
//   connection is idle (no transaction) while the lock is held; a lost session frees the lock.
import type { Sql } from '@fleet/db';
import { ExtensionBusyError } from '../errors.ts';

const POLL_MS = 20;

export interface ClickLock {
  /**
   * Runs `work` holding the lock of `key` (e.g. `host:port:extension`); waits for it at most until
   * `deadline` (epoch ms). @throws ExtensionBusyError (AST_EXTENSION_BUSY) when the deadline comes
   * first; whatever `work` throws (the lock is released either way).
   */
  run<T>(key: string, deadline: number, extension: string, work: () => Promise<T>): Promise<T>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function createClickLock(sql: Sql): ClickLock {
  /** The tail of each key's local chain: resolves when the last holder is done. */
  const tails = new Map<string, Promise<void>>();

  async function local(key: string, deadline: number, extension: string): Promise<() => void> {
    const before = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    // Queue behind the current tail; if we give up, our successor still waits for our predecessor.
    const tail = before.then(() => mine);
    tails.set(key, tail);
    const done = () => {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    };
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const won = await Promise.race([
      before.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, left)))),
    ]);
    clearTimeout(timer);
    if (!won) {
      // Let our place in the chain pass once the predecessor is done.
      void before.then(done);
      throw new ExtensionBusyError(extension);
    }
    return done;
  }

  return {
    async run(key, deadline, extension, work) {
      const releaseLocal = await local(key, deadline, extension);
      try {
        const conn = await sql.reserve();
        try {
          for (;;) {
            const [row] = await conn<
              { ok: boolean }[]
            >`select pg_try_advisory_lock(hashtextextended(${'click:' + key}, 0)) as ok`;
            if (row!.ok) break;
            if (Date.now() + POLL_MS >= deadline) throw new ExtensionBusyError(extension);
            await sleep(POLL_MS);
          }
          try {
            return await work();
          } finally {
            await conn`select pg_advisory_unlock(hashtextextended(${'click:' + key}, 0))`.catch(() => undefined);
          }
        } finally {
          conn.release();
        }
      } finally {
        releaseLocal();
      }
    },
  };
}
