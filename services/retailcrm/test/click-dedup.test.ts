// Repeated clicks within 5 s start one call — but only a call that started holds the window: after a
// failure (rejected, or an answer the caller does not keep: the asterisk service's 400/502/504) the
// manager's retry tries again.
import { describe, expect, it } from 'vitest';
import { createClickDedup } from '../src/callbacks/click-dedup.ts';

const ok = { status: 200 };
const failed = { status: 502 };
const keep = (r: { status: number }) => r.status === 200;

describe('click dedup', () => {
  it('a started call: repeats within the window share it; after the window a click starts a new one', async () => {
    let t = 0;
    const d = createClickDedup(5_000, () => t);
    let starts = 0;
    const start = async () => (starts++, ok);
    expect(await d.run('k', start, keep)).toEqual({ result: ok, repeated: false });
    t = 4_999;
    expect(await d.run('k', start, keep)).toEqual({ result: ok, repeated: true });
    t = 5_000;
    expect(await d.run('k', start, keep)).toEqual({ result: ok, repeated: false });
    expect(starts).toBe(2);
  });

  it('a failed answer (502) is not kept: a retry 1 s later tries again', async () => {
    let t = 0;
    const d = createClickDedup(5_000, () => t);
    const answers = [failed, ok];
    let starts = 0;
    const start = async () => answers[starts++]!;
    expect(await d.run('k', start, keep)).toEqual({ result: failed, repeated: false });
    t = 1_000;
    expect(await d.run('k', start, keep)).toEqual({ result: ok, repeated: false });
    expect(starts).toBe(2);
    t = 2_000;
    expect(await d.run('k', start, keep)).toEqual({ result: ok, repeated: true }); // now it holds
  });

  it('clicks arriving while the first is in flight share its answer, even a failure; the next one after it tries again', async () => {
    const d = createClickDedup(5_000);
    let release!: (v: { status: number }) => void;
    let starts = 0;
    const start = () => (starts++, new Promise<{ status: number }>((r) => (release = r)));
    const first = d.run('k', start, keep);
    const second = d.run('k', start, keep);
    release(failed);
    expect(await first).toEqual({ result: failed, repeated: false });
    expect(await second).toEqual({ result: failed, repeated: true });
    const third = d.run('k', start, keep);
    release(ok);
    expect(await third).toEqual({ result: ok, repeated: false });
    expect(starts).toBe(2);
  });

  it('a rejected start is forgotten too', async () => {
    const d = createClickDedup(5_000);
    await expect(d.run('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await d.run('k', async () => ok)).toEqual({ result: ok, repeated: false });
  });
});
