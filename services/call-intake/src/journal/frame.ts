// The journal's line format: `<crc32 of the JSON, 8 hex digits> <JSON>\n`, one event per line. A
// line whose checksum or JSON does not verify is not an event: the last line of a segment written
// when the process died mid-append (never acknowledged) is expected; anywhere else it is damage.
import { crc32 } from 'node:zlib';
import type { HostEventType } from '@fleet/asterisk-events';

/** One acknowledged event as kept in the journal until PostgreSQL has it. */
export interface JournalRecord {
  /** Enterprise number, or null when the token could not be resolved (database down, token not cached). */
  enterprise: string | null;
  /** The host token, only when `enterprise` is null: resolved (or rejected) when drained. */
  token?: string;
  type: HostEventType;
  uniqueId: string;
  idempotencyKey: string;
  body: Record<string, unknown>;
  /** Our clock at arrival, ms (kept: call_events.received_at is the original arrival). */
  receivedAt: number;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** One framed line (with its newline) for `rec`. */
export function encodeRecord(rec: JournalRecord): string {
  const json = JSON.stringify(rec);
  return `${hex8(crc32(json))} ${json}\n`;
}

/** The record in one line (without its newline), or null when the checksum or the JSON does not verify. */
export function decodeLine(line: string): JournalRecord | null {
  if (line.length < 10 || line[8] !== ' ') return null;
  const json = line.slice(9);
  if (line.slice(0, 8) !== hex8(crc32(json))) return null;
  try {
    const rec = JSON.parse(json) as JournalRecord;
    return typeof rec === 'object' && rec !== null && typeof rec.idempotencyKey === 'string' ? rec : null;
  } catch {
    return null;
  }
}

export interface ParsedSegment {
  records: JournalRecord[];
  /** A last line cut short (no newline, or a checksum failure on the final line): ignored. */
  tornTail: boolean;
  /** Lines before the last that do not verify (disk damage): skipped, reported. */
  corrupt: number;
}

/**
 * The records of a segment file's text, in append order. The final line counts as torn (ignored,
 * not damage) when it lacks its newline or does not verify: that is what a crash mid-append leaves,
 * and such a record was never acknowledged (the 200 follows the fsync of the whole line).
 */
export function parseSegment(text: string): ParsedSegment {
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the text ends with a newline
  const out: ParsedSegment = { records: [], tornTail: last.length > 0, corrupt: 0 };
  lines.forEach((line, i) => {
    const rec = decodeLine(line);
    if (rec) out.records.push(rec);
    else if (i === lines.length - 1 && !out.tornTail) out.tornTail = true;
    else out.corrupt++;
  });
  return out;
}

/** Segment file names sort in append order: `000000000042.jnl`. */
export const segmentName = (seq: number) => `${String(seq).padStart(12, '0')}.jnl`;

/** The sequence number of a segment file name, or null for any other file. */
export function segmentSeq(name: string): number | null {
  const m = /^(\d{12})\.jnl$/.exec(name);
  return m ? Number(m[1]) : null;
}
