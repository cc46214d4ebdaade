// Host timelines for burst tests: a recorded scenario moved to another point of the host's clock, as
// the same Asterisk would produce it later (UniqueId epoch and counter, DateReceived/StartTime/EndTime,
// channel counters and BridgeUniqueids all advanced together), so that two recordings can follow each
// other on one host the way a manager's calls do. Arrival times are chosen separately (bursts).
import type { FixtureEvent } from './harness.ts';
import type { Remap } from './remap.ts';

const TIME_FIELDS = ['DateReceived', 'StartTime', 'EndTime'];

function hostSec(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000 : null;
}

function hostString(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function epochOf(uid: unknown): number | null {
  const m = typeof uid === 'string' ? /^(\d+)\.(\d+)$/.exec(uid) : null;
  return m ? Number(m[1]) : null;
}

/**
 * Where a recording sits on its host's clock: first and last second (UniqueId epochs, the hangups'
 * times in the host's zone, `t` of real logs) and the host zone's offset (DateReceived − UniqueId
 * epoch of a hangup, rounded to 15 min; the corpus is UTC+3).
 */
export function hostSpan(events: FixtureEvent[]): { start: number; end: number; zone: number } {
  const epochs = events.map((e) => epochOf(e.body.UniqueId)).filter((x): x is number => x !== null);
  let zone = 3 * 3600;
  for (const e of events) {
    const d = hostSec(String(e.body.DateReceived ?? ''));
    const u = epochOf(e.body.UniqueId);
    if (e.event === 'hangup' && d !== null && u !== null) {
      zone = Math.round((d - u) / 900) * 900;
      break;
    }
  }
  const start = Math.min(...epochs);
  let end = Math.max(...epochs);
  for (const e of events) {
    for (const f of TIME_FIELDS) {
      const s = hostSec(String(e.body[f] ?? ''));
      if (s !== null) end = Math.max(end, s - zone);
    }
  }
  const lastT = Math.max(0, ...events.map((e) => (typeof e.t === 'number' ? e.t : 0)));
  return { start, end: Math.max(end, start + Math.ceil(lastT)), zone };
}

/**
 * The scenario as it would happen `shiftSec` later on the same host, after `seqBase` other channels
 * and `counterBase` other channel counters: every identifier stays unique and every host time moves
 * by the same amount. Numbers (client, managers, mobiles) are kept: same client, same managers.
 */
export function shifted(
  events: FixtureEvent[],
  shiftSec: number,
  seqBase: number,
  counterBase: number,
  tag: string,
): { events: FixtureEvent[]; map: Remap } {
  const uid = new Map<string, string>();
  const mapUid = (u: string) => {
    const m = /^(\d+)\.(\d+)$/.exec(u);
    if (!m) return u;
    const to = `${Number(m[1]) + shiftSec}.${Number(m[2]) + seqBase}`;
    uid.set(u, to);
    return to;
  };
  const mapChannel = (ch: string) =>
    ch.replace(
      /-([0-9a-f]{8})(;[12])?$/,
      (_all, ctr: string, half: string | undefined) =>
        `-${(parseInt(ctr, 16) + counterBase).toString(16).padStart(8, '0')}${half ?? ''}`,
    );
  const out = events.map((e) => {
    const b: Record<string, unknown> = { ...e.body };
    if (typeof b.UniqueId === 'string') b.UniqueId = mapUid(b.UniqueId);
    if (typeof b.BridgeUniqueid === 'string' && b.BridgeUniqueid) b.BridgeUniqueid = `${b.BridgeUniqueid}-${tag}`;
    if (typeof b.Channel === 'string') b.Channel = mapChannel(b.Channel);
    for (const f of TIME_FIELDS) {
      const s = hostSec(String(b[f] ?? ''));
      if (s !== null) b[f] = hostString(s + shiftSec);
    }
    return { ...e, body: b };
  });
  return { events: out, map: { uid, num: new Map() } };
}

/** Arrival offsets (ms) of a burst: all events within 5 ms, in recorded order. */
export function burst(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => start + Math.floor((i * 5) / Math.max(1, n)));
}

/** Highest UniqueId counter and channel counter of a recording (the next call's come after them). */
export function counters(events: FixtureEvent[]): { seq: number; channel: number } {
  let seq = 0;
  let channel = 0;
  for (const e of events) {
    const m = /^\d+\.(\d+)$/.exec(String(e.body.UniqueId ?? ''));
    if (m) seq = Math.max(seq, Number(m[1]));
    const c = /-([0-9a-f]{8})(;[12])?$/.exec(String(e.body.Channel ?? ''));
    if (c) channel = Math.max(channel, parseInt(c[1]!, 16));
  }
  return { seq, channel };
}
