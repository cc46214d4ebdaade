// Scenario transformations for the property tests: fresh identifiers and numbers (a seeded PRNG, no
// dependency), duplicates, bounded reordering, and interleaving of two scenarios.
import type { FixtureEvent, Outcome } from './harness.ts';

/** mulberry32: small, seeded, good enough to pick test cases reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(rnd: () => number, n: number): number {
  return Math.floor(rnd() * n);
}

export interface Remap {
  uid: Map<string, string>;
  /** Whole-value renames of numbers and extensions ('375440000001' → '375447…', '151' → '251'). */
  num: Map<string, string>;
}

const NUMBER_FIELDS = ['Phone', 'ExtPhone', 'CallerIDNum', 'ConnectedLineNum', 'Exten'];

function digitsOf(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(int(rnd, 10));
  return s;
}

/** The corpus's client and manager-mobile placeholders (shared/domain/asterisk-events.md). */
export const CLIENT = '375440000001';
export const MOBILE = '375290000002';

/**
 * Renames UniqueIds, BridgeUniqueids, channel counters, the client and mobile numbers, and (with
 * `extBase`) the extensions 150/151/152/300 → extBase+0…, so that two scenarios can share one state
 * as calls of different managers. `fixed` pins numbers instead of drawing them (the managers' own
 * mobile kept, a client who calls again). `hostStart` places the first UniqueId's epoch (a call that
 * follows another on the same host); otherwise it is drawn.
 */
export function remapScenario(
  events: FixtureEvent[],
  rnd: () => number,
  extBase: number | null,
  fixed: Record<string, string> = {},
  hostStart?: number,
): { events: FixtureEvent[]; map: Remap } {
  const uid = new Map<string, string>();
  const bridge = new Map<string, string>();
  const counter = new Map<string, string>();
  const num = new Map<string, string>([
    [CLIENT, `37544${digitsOf(rnd, 7)}`],
    [MOBILE, `37529${digitsOf(rnd, 7)}`],
  ]);
  for (const [from, to] of Object.entries(fixed)) num.set(from, to);
  if (extBase !== null) for (const e of ['150', '151', '152', '300']) num.set(e, String(extBase + Number(e) - 150));
  // The host's clock moves as a whole (issue 13: the model compares UniqueId epochs and hangup
  // times): every epoch and host time string by the same shift, channel counters stay in order.
  const first = Math.min(
    ...events.map((e) => Number(/^(\d+)\.\d+$/.exec(String(e.body.UniqueId ?? ''))?.[1] ?? Infinity)),
  );
  const start = 1_800_000_000 + int(rnd, 100_000_000);
  const shift = Number.isFinite(first) ? (hostStart ?? start) - first : 0;
  const seqBase = int(rnd, 1000) * 100;
  const mapUid = (u: string) => {
    if (!u) return u;
    const m = /^(\d+)\.(\d+)$/.exec(u);
    if (!uid.has(u)) uid.set(u, m ? `${Number(m[1]) + shift}.${Number(m[2]) + seqBase}` : `${u}-${seqBase}`);
    return uid.get(u)!;
  };
  const mapTime = (v: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(v);
    if (!m) return v;
    const sec = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000 + shift;
    return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
  };
  const mapNum = (v: string) => {
    const plus = v.startsWith('+') ? '+' : '';
    const m = num.get(v.slice(plus.length));
    return m === undefined ? v : plus + m;
  };
  const mapChannel = (ch: string) =>
    ch.replace(/^(SIP|Local)\/(\+?)([^@-]+)(.*?)-([0-9a-f]{8})(;[12])?$/, (_all, tech, plus, n, mid, ctr, half) => {
      if (!counter.has(ctr)) counter.set(ctr, digitsOf(rnd, 8));
      return `${tech}/${plus}${num.get(n) ?? n}${mid}-${counter.get(ctr)}${half ?? ''}`;
    });
  const out = events.map((e) => {
    const b: Record<string, unknown> = { ...e.body };
    if (typeof b.UniqueId === 'string') b.UniqueId = mapUid(b.UniqueId);
    if (typeof b.BridgeUniqueid === 'string' && b.BridgeUniqueid) {
      if (!bridge.has(b.BridgeUniqueid)) bridge.set(b.BridgeUniqueid, `b-${digitsOf(rnd, 12)}`);
      b.BridgeUniqueid = bridge.get(b.BridgeUniqueid);
    }
    for (const f of NUMBER_FIELDS) if (typeof b[f] === 'string') b[f] = mapNum(b[f]);
    if (typeof b.CallerIDName === 'string') b.CallerIDName = b.CallerIDName.replace(/\d{6,}/g, (d) => num.get(d) ?? d);
    if (Array.isArray(b.Extensions)) b.Extensions = b.Extensions.map((x) => (typeof x === 'string' ? mapNum(x) : x));
    if (typeof b.Channel === 'string') b.Channel = mapChannel(b.Channel);
    for (const f of ['DateReceived', 'StartTime', 'EndTime']) if (typeof b[f] === 'string') b[f] = mapTime(b[f]);
    return { ...e, body: b };
  });
  return { events: out, map: { uid, num } };
}

/** The expected outcome under a remap. */
export function remapOutcome(o: Outcome, m: Remap): Outcome {
  const u = (x: string) => m.uid.get(x) ?? x;
  const n = (x: string | null) => {
    if (x === null) return x;
    const plus = x.startsWith('+') ? '+' : '';
    return plus + (m.num.get(x.slice(plus.length)) ?? x.slice(plus.length));
  };
  return {
    ...o,
    callId: u(o.callId),
    phone: n(o.phone)!,
    answeredBy: n(o.answeredBy),
    ringing: o.ringing.map((x) => n(x)!).sort(),
    mobiles: o.mobiles.map((x) => n(x)!).sort(),
    mobileLegs: o.mobileLegs.map(u).sort(),
    consultationLegs: o.consultationLegs.map(u).sort(),
  };
}

export interface Timed {
  ev: FixtureEvent;
  at: number;
  /** Which scenario of an interleaving it came from. */
  src: number;
}

/** Inserts `count` exact duplicates, each somewhere after its original (a replay by a recovery job). */
export function withDuplicates(list: Timed[], rnd: () => number, count: number): Timed[] {
  const out = [...list];
  for (let k = 0; k < count; k++) {
    const i = int(rnd, out.length);
    const j = i + 1 + int(rnd, out.length - i);
    const at = out[j - 1]!.at;
    out.splice(j, 0, { ...out[i]!, at });
  }
  return out;
}

/**
 * Swaps adjacent events of different UniqueIds while every event stays within `maxMs` of the time it
 * would have arrived; arrival times stay increasing (the k-th arrival keeps the k-th time).
 */
export function reordered(list: Timed[], rnd: () => number, swaps: number, maxMs: number): Timed[] {
  const times = list.map((x) => x.at);
  const out = list.map((x) => ({ ...x, orig: x.at }));
  for (let k = 0; k < swaps && out.length > 1; k++) {
    const i = int(rnd, out.length - 1);
    const a = out[i]!;
    const b = out[i + 1]!;
    const ua = String(a.ev.body.UniqueId ?? '');
    const ub = String(b.ev.body.UniqueId ?? '');
    if (ua === ub) continue;
    if (Math.abs(times[i + 1]! - a.orig) > maxMs || Math.abs(times[i]! - b.orig) > maxMs) continue;
    out[i] = b;
    out[i + 1] = a;
  }
  return out.map((x, i) => ({ ev: x.ev, at: times[i]!, src: x.src }));
}

/**
 * Delays each event by 0…maxMs (our arrival = its slot + delay), events of one UniqueId staying in
 * order: the way the hosts' one-request-per-event posts really arrive. An event is then overtaken by
 * events of other UniqueIds that happened up to maxMs after it.
 */
export function delayed(list: Timed[], rnd: () => number, maxMs: number): Timed[] {
  const lastOf = new Map<string, number>();
  const out = list.map((x, i) => {
    let at = x.at + Math.floor(rnd() * (maxMs + 1));
    const u = String(x.ev.body.UniqueId ?? '');
    if (u) {
      at = Math.max(at, lastOf.get(u) ?? at);
      lastOf.set(u, at);
    }
    return { ...x, at, i };
  });
  return out.sort((a, b) => a.at - b.at || a.i - b.i).map(({ i: _i, ...x }) => x);
}

export function timed(events: FixtureEvent[], times: number[], src = 0, shift = 0): Timed[] {
  return events.map((ev, i) => ({ ev, at: times[i]! + shift, src }));
}

/** Merges timelines by arrival time (stable: ties keep scenario order). */
export function merge(...lists: Timed[][]): Timed[] {
  return lists.flat().sort((x, y) => x.at - y.at || x.src - y.src);
}
