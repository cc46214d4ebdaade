// The journal on disk: a directory of segment files (frame.ts), appended with one write + fdatasync
// per group of events, bounded in total bytes, and read back and deleted segment by segment when
// PostgreSQL has the events.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeRecord,
  parseSegment,
  segmentName,
  segmentSeq,
  type JournalRecord,
  type ParsedSegment,
} from './frame.ts';
import { JournalFull } from './errors.ts';

export interface JournalStoreOptions {
  dir: string;
  /** Bound on the bytes of all segments together; appends beyond it are refused (JournalFull). */
  maxBytes: number;
  /** A segment is sealed and a new one started past this size. */
  segmentBytes: number;
}

export interface Segment {
  seq: number;
  path: string;
  bytes: number;
}

interface Pending {
  line: string;
  bytes: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface JournalStore {
  /** Resolves once the record is written and fsync'd. @throws JournalFull past maxBytes, or the I/O error. */
  append(rec: JournalRecord): Promise<void>;
  /** Closes the segment being appended to, so that everything appended so far is in sealed segments. */
  seal(): Promise<void>;
  /** Sealed segments, oldest first (the one being appended to is not among them). */
  sealed(): Segment[];
  read(seg: Segment): ParsedSegment;
  /** Deletes a drained segment (after its rows are committed) and syncs the directory. */
  remove(seg: Segment): void;
  /** True when nothing is journaled: no segment, no record being appended. */
  empty(): boolean;
  stats(): { segments: number; bytes: number; maxBytes: number; appends: number; fsyncs: number; refused: number };
  close(): Promise<void>;
}

/**
 * Opens (creating) the journal directory. Segments left by an earlier run are sealed as they are:
 * appending never continues after a possibly torn tail; a new segment is started instead. A lock
 * file names the owning process, so two instances configured with one directory fail at boot.
 * @throws Error when another live process holds the directory.
 */
export function openJournalStore(o: JournalStoreOptions): JournalStore {
  mkdirSync(o.dir, { recursive: true });
  lockDir(o.dir);
  const segments: Segment[] = [];
  for (const name of readdirSync(o.dir)) {
    const seq = segmentSeq(name);
    if (seq === null) continue;
    const path = join(o.dir, name);
    segments.push({ seq, path, bytes: statSync(path).size });
  }
  segments.sort((a, b) => a.seq - b.seq);
  let nextSeq = (segments.at(-1)?.seq ?? 0) + 1;
  let total = segments.reduce((n, s) => n + s.bytes, 0);
  let active: { seg: Segment; fh: FileHandle } | null = null;
  let queue: Pending[] = [];
  let flushing: Promise<void> | null = null;
  let closed = false;
  const stats = { appends: 0, fsyncs: 0, refused: 0 };

  async function ensureActive(): Promise<{ seg: Segment; fh: FileHandle }> {
    if (active && active.seg.bytes >= o.segmentBytes) await sealActive();
    if (!active) {
      const seg = { seq: nextSeq++, path: join(o.dir, segmentName(nextSeq - 1)), bytes: 0 };
      const fh = await open(seg.path, 'wx');
      syncDir(o.dir); // the new name must survive a crash as well as its contents
      active = { seg, fh };
    }
    return active;
  }

  async function sealActive(): Promise<void> {
    if (!active) return;
    const { seg, fh } = active;
    active = null;
    await fh.close();
    if (seg.bytes > 0) segments.push(seg);
    else unlinkSync(seg.path);
  }

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    // Accept the prefix that fits the bound; refuse the rest rather than keep what cannot be kept.
    let fit = 0;
    let bytes = 0;
    while (fit < batch.length && total + bytes + batch[fit]!.bytes <= o.maxBytes) bytes += batch[fit++]!.bytes;
    for (const p of batch.slice(fit)) {
      stats.refused++;
      p.reject(new JournalFull(o.maxBytes));
    }
    const take = batch.slice(0, fit);
    if (!take.length) return;
    try {
      const a = await ensureActive();
      const buf = Buffer.from(take.map((p) => p.line).join(''), 'utf8');
      try {
        await a.fh.write(buf, 0, buf.length);
        await a.fh.datasync();
      } catch (err) {
        // A partial write would leave a torn line mid-segment: seal it here so nothing follows it.
        a.seg.bytes += buf.length;
        total += buf.length;
        await sealActive().catch(() => {});
        throw err;
      }
      a.seg.bytes += buf.length;
      total += buf.length;
      stats.appends += take.length;
      stats.fsyncs++;
      for (const p of take) p.resolve();
    } catch (err) {
      for (const p of take) p.reject(err);
    }
  }

  function schedule(): void {
    if (flushing || !queue.length) return;
    flushing = flush().finally(() => {
      flushing = null;
      schedule();
    });
  }

  return {
    append(rec) {
      if (closed) return Promise.reject(new Error('journal closed'));
      const line = encodeRecord(rec);
      return new Promise<void>((resolve, reject) => {
        queue.push({ line, bytes: Buffer.byteLength(line), resolve, reject });
        schedule();
      });
    },
    async seal() {
      while (flushing) await flushing;
      await sealActive();
    },
    sealed: () => [...segments],
    read: (seg) => parseSegment(readFileSync(seg.path, 'utf8')),
    remove(seg) {
      unlinkSync(seg.path);
      syncDir(o.dir);
      const i = segments.indexOf(seg);
      if (i >= 0) segments.splice(i, 1);
      total -= seg.bytes;
    },
    empty: () => segments.length === 0 && !queue.length && !flushing && !(active && active.seg.bytes > 0),
    stats: () => ({ segments: segments.length + (active ? 1 : 0), bytes: total, maxBytes: o.maxBytes, ...stats }),
    async close() {
      closed = true;
      while (flushing) await flushing;
      await sealActive();
      unlockDir(o.dir);
    },
  };
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const LOCK = 'lock';

function lockDir(dir: string): void {
  const path = join(dir, LOCK);
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    if (pid && pid !== process.pid && alive(pid)) {
      throw new Error(`journal directory ${dir} is in use by process ${pid}: give each instance its own JOURNAL_DIR`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeFileSync(path, String(process.pid));
}

function unlockDir(dir: string): void {
  try {
    if (Number(readFileSync(join(dir, LOCK), 'utf8')) === process.pid) unlinkSync(join(dir, LOCK));
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
