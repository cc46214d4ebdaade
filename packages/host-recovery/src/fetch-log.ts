// Fetches one host log over SFTP into memory, size-capped. SQLite needs the whole image anyway (sql.js
// opens a byte array), so a temp file would add cleanup without saving memory. The copy is checked for
// consistency: a hot rollback journal or a WAL next to the file, or a file that changed while we read
// it, means a write was in flight — the copy could be torn, so it is refused as busy (the next run
// reads it again) rather than read as corrupt.
import type { openConnection } from '@fleet/asterisk-host';
import { RecoveryError } from './errors.ts';

type Ssh = Awaited<ReturnType<typeof openConnection>>;
type Sftp = Awaited<ReturnType<Ssh['requestSFTP']>>;
interface Stat {
  size: number;
  mtime: number;
}

const NO_SUCH_FILE = 2; // SSH_FX_NO_SUCH_FILE

function stat(sftp: Sftp, path: string): Promise<Stat | null> {
  return new Promise((resolve, reject) =>
    sftp.stat(path, (err: (Error & { code?: number }) | undefined, s: Stat) => {
      if (!err) return resolve({ size: s.size, mtime: s.mtime });
      if (err.code === NO_SUCH_FILE) return resolve(null);
      reject(new RecoveryError('AST_RECOVERY_FETCH_FAILED', `stat ${path}: ${err.message}`));
    }),
  );
}

function read(sftp: Sftp, path: string, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const stream = sftp.createReadStream(path);
    stream.on('data', (c: Buffer) => {
      total += c.length;
      if (total > maxBytes) {
        stream.destroy();
        reject(
          new RecoveryError('AST_RECOVERY_FILE_TOO_LARGE', `${path} grew past ${maxBytes} bytes while being read`),
        );
      } else chunks.push(c);
    });
    stream.once('error', (err: Error) =>
      reject(new RecoveryError('AST_RECOVERY_FETCH_FAILED', `reading ${path}: ${err.message}`)),
    );
    stream.once('end', () => resolve(Buffer.concat(chunks, total)));
  });
}

async function busyReason(sftp: Sftp, path: string): Promise<string | null> {
  const journal = await stat(sftp, `${path}-journal`);
  if (journal && journal.size > 0) return 'a write transaction is open (hot -journal)';
  const wal = await stat(sftp, `${path}-wal`);
  if (wal && wal.size > 0) return 'the log is in WAL mode with unmerged pages (-wal)';
  return null;
}

/**
 * The bytes of `path` on the host. @throws RecoveryError FILE_MISSING, FILE_TOO_LARGE (over
 * `maxBytes`), FILE_BUSY (a write in flight after `attempts` tries), FETCH_FAILED (SFTP error or
 * `timeoutMs` passed).
 */
export async function fetchLog(
  ssh: Ssh,
  path: string,
  o: { maxBytes: number; timeoutMs: number; attempts?: number },
): Promise<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  let sftp: Sftp | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new RecoveryError('AST_RECOVERY_FETCH_FAILED', `fetching ${path} took longer than ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
  });
  const work = async (): Promise<Buffer> => {
    try {
      sftp = await ssh.requestSFTP();
    } catch (err) {
      throw new RecoveryError('AST_RECOVERY_FETCH_FAILED', `the host offers no SFTP: ${(err as Error).message}`);
    }
    let busy = 'it changed while being read';
    for (let attempt = 0; attempt < (o.attempts ?? 3); attempt++) {
      const before = await stat(sftp, path);
      if (!before) throw new RecoveryError('AST_RECOVERY_FILE_MISSING', `${path} does not exist on the host`);
      if (before.size > o.maxBytes)
        throw new RecoveryError(
          'AST_RECOVERY_FILE_TOO_LARGE',
          `${path} is ${before.size} bytes, over the ${o.maxBytes} limit`,
        );
      const pending = await busyReason(sftp, path);
      if (pending) {
        busy = pending;
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const bytes = await read(sftp, path, o.maxBytes);
      const after = await stat(sftp, path);
      if (
        after &&
        after.size === before.size &&
        after.mtime === before.mtime &&
        bytes.length === before.size &&
        !(await busyReason(sftp, path))
      )
        return bytes;
    }
    throw new RecoveryError('AST_RECOVERY_FILE_BUSY', `${path} is being written: ${busy}; the next run reads it again`);
  };
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
    sftp?.end();
  }
}
