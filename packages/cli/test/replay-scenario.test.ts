import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  freshIds,
  gapsMs,
  loadScenario,
  parseScenario,
  percentile,
  substituteToken,
  summarize,
  headerToken,
} from '../src/index.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/fixtures/asterisk-scenarios/', import.meta.url));
const corpusFiles = readdirSync(CORPUS).filter((f) => f.endsWith('.json') && !f.startsWith('_'));

describe('loading scenarios', () => {
  it('loads every file of the shared corpus', async () => {
    expect(corpusFiles.length).toBeGreaterThanOrEqual(45);
    for (const f of corpusFiles) {
      const events = await loadScenario(`${CORPUS}${f}`);
      for (const e of events) expect(e.body.Token).toBe('ENTERPRISE_TOKEN');
    }
  });

  it('names the file and entry of a malformed scenario', () => {
    const bad = (text: string) => {
      try {
        parseScenario(text, 'x.json');
      } catch (e) {
        return [(e as { code: string }).code, (e as Error).message];
      }
      return ['no error'];
    };
    expect(bad('{')).toEqual(['FLEET_CLI_SCENARIO_INVALID', expect.stringContaining('x.json: not JSON')]);
    expect(bad('{}')[1]).toContain('expected an array');
    expect(bad('[{"event":"dial"}]')[1]).toBe('x.json[0]: "body" must be an object');
    expect(bad('[{"event":"../admin","body":{}}]')[1]).toContain('x.json[0]: "event"');
    expect(bad('[{"event":"dial","body":{},"t":-1}]')[1]).toContain('"t"');
  });
});

describe('token substitution', () => {
  const events = parseScenario(
    JSON.stringify([
      { event: 'start', body: { Token: 'ENTERPRISE_TOKEN', UniqueId: '1.1', Extensions: ['ENTERPRISE_TOKEN'] } },
      { event: 'dial', body: { Token: '375000000000', UniqueId: '1.1' } },
    ]),
  );

  it('replaces the placeholder everywhere in bodies and nothing else', () => {
    const out = substituteToken(events, '375291112233');
    expect(out[0]!.body).toEqual({ Token: '375291112233', UniqueId: '1.1', Extensions: ['375291112233'] });
    expect(out[1]!.body.Token).toBe('375000000000');
    expect(events[0]!.body.Token).toBe('ENTERPRISE_TOKEN');
  });

  it('the Token header is the body Token, as hosts send it twice', () => {
    expect(headerToken({ Token: '375291112233' })).toBe('375291112233');
    expect(headerToken({ Token: 375291112233 })).toBe('375291112233');
    expect(headerToken({})).toBe('ENTERPRISE_TOKEN');
  });
});

describe('fresh ids', () => {
  it('rewrites UniqueIds and BridgeUniqueids consistently across a real scenario', async () => {
    const events = await loadScenario(`${CORPUS}2-18_incoming_transfer_chain_A_B_C.json`);
    const fresh = freshIds(events, '123456');
    const pairs = new Map<string, string>();
    events.forEach((e, i) => {
      for (const field of ['UniqueId', 'BridgeUniqueid'] as const) {
        const before = e.body[field];
        const after = fresh[i]!.body[field];
        if (typeof before !== 'string') continue;
        if (before === '') {
          expect(after).toBe('');
          continue;
        }
        expect(after).not.toBe(before);
        const key = `${field}:${before}`;
        if (pairs.has(key)) expect(after).toBe(pairs.get(key));
        pairs.set(key, after as string);
      }
      // everything else untouched
      expect({ ...fresh[i]!.body, UniqueId: 0, BridgeUniqueid: 0 }).toEqual({
        ...e.body,
        UniqueId: 0,
        BridgeUniqueid: 0,
      });
    });
    // distinct ids stay distinct
    expect(new Set(pairs.values()).size).toBe(pairs.size);
  });

  it('keeps UniqueIds in <epoch>.<sequence> digits and BridgeUniqueids UUID-shaped', () => {
    const [e] = freshIds(
      [{ event: 'bridge', body: { UniqueId: '1757840723.6', BridgeUniqueid: 'c50ef955-2780-4484-a218-dfb1db61b5bc' } }],
      '000042',
    );
    expect(e!.body.UniqueId).toBe('1757840723.6000042');
    expect(e!.body.BridgeUniqueid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('two suffixes give two different calls', () => {
    const events = [{ event: 'start', body: { UniqueId: '1.5', BridgeUniqueid: 'b' } }];
    const a = freshIds(events, '111111')[0]!.body;
    const b = freshIds(events, '222222')[0]!.body;
    expect(a.UniqueId).not.toBe(b.UniqueId);
    expect(a.BridgeUniqueid).not.toBe(b.BridgeUniqueid);
  });

  it('refuses a suffix that is not 6 digits', () => {
    expect(() => freshIds([], 'abc')).toThrow(/6 digits/);
  });
});

describe('timing', () => {
  const ev = (t?: number) => ({ event: 'dial', body: {}, ...(t === undefined ? {} : { t }) });

  it('waits the t gaps divided by speed', () => {
    expect(gapsMs([ev(0), ev(1), ev(3), ev(3)], 1)).toEqual([0, 1000, 2000, 0]);
    expect(gapsMs([ev(0), ev(1), ev(3)], 4)).toEqual([0, 250, 500]);
  });

  it('does not wait without t, with speed 0, or when time runs backwards', () => {
    expect(gapsMs([ev(), ev(), ev()], 1)).toEqual([0, 0, 0]);
    expect(gapsMs([ev(0), ev(5)], 0)).toEqual([0, 0]);
    expect(gapsMs([ev(5), ev(2)], 1)).toEqual([0, 0]);
    expect(gapsMs([ev(0), ev(), ev(2)], 1)).toEqual([0, 0, 0]);
  });

  it('refuses a negative speed', () => {
    expect(() => gapsMs([], -1)).toThrow(RangeError);
  });

  it('percentiles by nearest rank, summary by status', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    const r = (status: number, latencyMs: number) => ({ index: 0, event: 'dial', uniqueId: '', status, latencyMs });
    const s = summarize([r(200, 1), r(200, 3), r(500, 2), r(0, 9)]);
    expect(s).toEqual({ count: 4, byStatus: { '0': 1, '200': 2, '500': 1 }, p50Ms: 2, p99Ms: 9, ok: false });
    expect(summarize([r(200, 1), r(202, 1)]).ok).toBe(true);
  });
});
