// applyEvents (one state copy per batch, used by call-intake) must be indistinguishable from
// applyEvent per event followed by advanceTime, for every scenario of the corpus.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeHostEvent, type HostEventType } from '@fleet/asterisk-events';
import { advanceTime, applyEvent, applyEvents, emptyState, type CallEffect } from '../src/index.ts';

const DIR = new URL('../../../../shared/fixtures/asterisk-scenarios/', import.meta.url);
const index = JSON.parse(readFileSync(new URL('_index.json', DIR), 'utf8')) as { code: string; file: string }[];

describe('applyEvents', () => {
  it.each(index.map((e) => [e.code, e.file]))('equals event-by-event application for %s', (_code, file) => {
    const raw = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as {
      event: HostEventType;
      body: Record<string, unknown>;
      t?: number;
    }[];
    const events = raw.map((e, i) =>
      normalizeHostEvent(e.event, e.body, { seq: i + 1, receivedAt: 1_000_000 + (e.t ?? i * 0.5) * 1000 }),
    );
    const end = 1_000_000 + 3_600_000;

    let state = emptyState();
    const one: CallEffect[] = [];
    for (const ev of events) {
      const r = applyEvent(state, ev);
      state = r.state;
      one.push(...r.effects);
    }
    const t = advanceTime(state, end);
    one.push(...t.effects);

    const perEvent: number[] = [];
    const batch = applyEvents(emptyState(), events, {}, end, (i, effects) => perEvent.push(...effects.map(() => i)));
    expect(batch.effects).toEqual(one);
    expect(batch.state).toEqual(t.state);
    expect(perEvent).toHaveLength(one.length);

    // inPlace (call-intake's state kept in memory): the same outcome, applied to the given object, in
    // two batches as call-intake would see them.
    const mine = emptyState();
    const half = Math.floor(events.length / 2);
    const first = applyEvents(mine, events.slice(0, half), { inPlace: true });
    const second = applyEvents(mine, events.slice(half), { inPlace: true }, end);
    expect(first.state).toBe(mine);
    expect(second.state).toBe(mine);
    expect([...first.effects, ...second.effects]).toEqual(one);
    expect(mine).toEqual(t.state);
  });

  it("does not touch the caller's state", () => {
    const raw = JSON.parse(readFileSync(new URL(index[0]!.file, DIR), 'utf8')) as {
      event: HostEventType;
      body: Record<string, unknown>;
    }[];
    const events = raw.map((e, i) =>
      normalizeHostEvent(e.event, e.body, { seq: i + 1, receivedAt: 1_000_000 + i * 500 }),
    );
    const start = applyEvents(emptyState(), events.slice(0, 2)).state;
    const frozen = JSON.stringify(start);
    applyEvents(start, events.slice(2), {}, 9_000_000);
    expect(JSON.stringify(start)).toBe(frozen);
  });
});
