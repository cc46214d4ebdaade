// The journal's framing and segment files without a database: what a crash mid-append leaves is
// ignored, damage elsewhere is counted, appends are fsync'd in groups and refused past the bound.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeLine,
  encodeRecord,
  parseSegment,
  segmentName,
  segmentSeq,
  type JournalRecord,
} from '../src/journal/frame.ts';
import { openJournalStore } from '../src/journal/store.ts';
import { isOutage } from '../src/journal/outage.ts';

const rec = (i: number, extra: Partial<JournalRecord> = {}): JournalRecord => ({
  enterprise: '100',
  type: 'dial',
  uniqueId: `u.${i}`,
  idempotencyKey: `k${i}`,
  body: { UniqueId: `u.${i}`, Phone: 'Ωмега "quoted"\nline' },
  receivedAt: 1_700_000_000_000 + i,
  ...extra,
});

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('frame', () => {
  it('round-trips a record through one line, newlines in values included', () => {
    const line = encodeRecord(rec(1));
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(decodeLine(line.slice(0, -1))).toEqual(rec(1));
  });

  it('refuses a line whose checksum does not match its JSON', () => {
    const line = encodeRecord(rec(1)).slice(0, -1).replace('u.1', 'u.2');
    expect(decodeLine(line)).toBeNull();
    expect(decodeLine('not a frame')).toBeNull();
  });

  it('ignores a torn last line but counts damage in the middle', () => {
    const a = encodeRecord(rec(1));
    const b = encodeRecord(rec(2));
    const c = encodeRecord(rec(3));
    expect(parseSegment(a + b + c.slice(0, 20))).toMatchObject({
      tornTail: true,
      corrupt: 0,
      records: [rec(1), rec(2)],
    });
    expect(parseSegment(a + b + c)).toMatchObject({ tornTail: false, corrupt: 0 });
    const damaged = a + b.replace('u.2', 'u.9') + c;
    expect(parseSegment(damaged)).toMatchObject({ tornTail: false, corrupt: 1, records: [rec(1), rec(3)] });
    // zeros where the file grew but the data never reached the disk
    expect(parseSegment(a + '\0'.repeat(300))).toMatchObject({ tornTail: true, corrupt: 0, records: [rec(1)] });
  });

  it('names segments so that they sort in append order', () => {
    expect(segmentName(42)).toBe('000000000042.jnl');
    expect(segmentSeq('000000000042.jnl')).toBe(42);
    expect(segmentSeq('rejected.jsonl')).toBeNull();
  });
});

describe('store', () => {
  it('appends in groups (one fsync for events arriving together) and reads them back in order', async () => {
    const dir = tempDir();
    const store = openJournalStore({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 20 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(rec(i))));
    expect(store.stats().fsyncs).toBeLessThan(50);
    await store.seal();
    const [seg] = store.sealed();
    expect(store.read(seg!).records.map((r) => r.uniqueId)).toEqual(Array.from({ length: 50 }, (_, i) => `u.${i}`));
    await store.close();
  });

  it('fsyncs every acknowledged append: one at a time, each waits for its own fsync (latency printed)', async () => {
    const dir = tempDir();
    const store = openJournalStore({ dir, maxBytes: 1 << 24, segmentBytes: 1 << 20 });
    const ms: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await store.append(rec(i));
      ms.push(performance.now() - t0);
    }
    expect(store.stats()).toMatchObject({ appends: 200, fsyncs: 200 });
    await store.seal();
    expect(
      store
        .sealed()
        .flatMap((s) => store.read(s).records)
        .map((r) => r.uniqueId),
    ).toEqual(Array.from({ length: 200 }, (_, i) => `u.${i}`));
    ms.sort((a, b) => a - b);
    const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
    console.log(
      `[journal append+fdatasync] ${dir}: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms (sequential, ~${Buffer.byteLength(encodeRecord(rec(0)))} B records)`,
    );
    await store.close();
  });

  it('rotates segments and refuses appends past the bound with JournalFull (503)', async () => {
    const dir = tempDir();
    const size = Buffer.byteLength(encodeRecord(rec(0)));
    const store = openJournalStore({ dir, maxBytes: size * 10 + 5, segmentBytes: size * 3 });
    for (let i = 0; i < 8; i++) await store.append(rec(i)); // one group each: segments of 3
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => store.append(rec(8 + i))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.map((r) => [r.reason.code, r.reason.statusCode])).toEqual([
      ['INTAKE_JOURNAL_FULL', 503],
      ['INTAKE_JOURNAL_FULL', 503],
    ]);
    await store.seal();
    expect(store.sealed().length).toBeGreaterThanOrEqual(3);
    // Deleting a drained segment makes room again.
    store.remove(store.sealed()[0]!);
    await expect(store.append(rec(99))).resolves.toBeUndefined();
    await store.close();
  });

  it('after a crash, keeps old segments sealed (a torn tail is never appended to) and starts a new one', async () => {
    const dir = tempDir();
    const first = openJournalStore({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 20 });
    await first.append(rec(1));
    await first.append(rec(2));
    // the process dies mid-append: a torn line, no close, the lock file left behind
    const [name] = readdirSync(dir).filter((n) => n.endsWith('.jnl'));
    appendFileSync(join(dir, name!), encodeRecord(rec(3)).slice(0, 15));
    writeFileSync(join(dir, 'lock'), '999999999');
    const second = openJournalStore({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 20 });
    expect(second.empty()).toBe(false);
    await second.append(rec(4));
    await second.seal();
    const segs = second.sealed();
    expect(segs).toHaveLength(2);
    expect(second.read(segs[0]!)).toMatchObject({ tornTail: true, records: [rec(1), rec(2)] });
    expect(second.read(segs[1]!).records).toEqual([rec(4)]);
    await second.close();
    await first.close().catch(() => {});
  });

  it('refuses a directory held by another live process', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'lock'), String(process.ppid));
    expect(() => openJournalStore({ dir, maxBytes: 1000, segmentBytes: 100 })).toThrow(/in use by process/);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(String(process.ppid));
  });
});

describe('outage classification', () => {
  it('journals on connection failures and resource errors, not on statement errors', () => {
    for (const code of [
      'ECONNREFUSED',
      'CONNECTION_CLOSED',
      'CONNECT_TIMEOUT',
      '57P01',
      '57P03',
      '08006',
      '53100',
      'INTAKE_DB_DEADLINE',
    ]) {
      expect(isOutage({ code }), code).toBe(true);
    }
    for (const code of ['23505', '22P02', '42P01', undefined]) expect(isOutage({ code }), String(code)).toBe(false);
  });
});
