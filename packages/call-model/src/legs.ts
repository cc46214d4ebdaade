// Leg bookkeeping: one record per UniqueId, with its channel, its bridge stays and the fingerprints of
// the events seen on it. Bridge membership lives on the legs (no separate bridge table) so pruning a
// call's legs also forgets its bridges.
import type { HostEvent } from './types.ts';
import { type LegRec, type ModelState, keysChanged, valuesOf } from './state.ts';
import { fnv1a, parseChannel } from './numbers.ts';

/** The leg of a UniqueId, created unlinked on first sight. */
export function touchLeg(state: ModelState, ev: HostEvent): LegRec {
  let leg = state.legs[ev.uniqueId];
  if (!leg) {
    leg = {
      u: ev.uniqueId,
      call: null,
      role: 'other',
      channel: '',
      cid: '',
      cl: '',
      firstAt: ev.receivedAt,
      lastAt: ev.receivedAt,
      bridges: [],
      hungUp: false,
      pending: null,
      held: null,
      cl0: '',
      fp: [],
    };
    state.legs[ev.uniqueId] = leg;
    keysChanged(state.legs);
  }
  leg.lastAt = Math.max(leg.lastAt, ev.receivedAt);
  if (ev.channel) leg.channel = ev.channel;
  if (ev.type === 'bridge' || ev.type === 'new_callerid' || ev.type === 'bridge_leave') {
    leg.cid = ev.callerIdNum;
    leg.cl = ev.connectedLineNum;
    if (!leg.cl0) leg.cl0 = ev.connectedLineNum;
  }
  return leg;
}

/**
 * Fingerprint of an event without our arrival metadata (seq, receivedAt): a replayed or duplicated
 * event has the same one. Two FNV hashes (64 bits) keep accidental collisions out of reach.
 */
export function fingerprint(ev: HostEvent): string {
  const { seq: _seq, receivedAt: _at, ...rest } = ev;
  const s = JSON.stringify(rest);
  return `${fnv1a(s)}.${fnv1a(`#${s}`)}`;
}

/** True when this exact event was already applied to its UniqueId (then it must change nothing). */
export function isDuplicate(state: ModelState, ev: HostEvent): boolean {
  const leg = state.legs[ev.uniqueId];
  return leg ? leg.fp.includes(fingerprint(ev)) : false;
}

export function rememberEvent(leg: LegRec, ev: HostEvent): void {
  leg.fp.push(fingerprint(ev));
}

/** Records a bridge join; a re-bridge into a bridge the leg never left keeps the first join (1-3, 2-7 unhold). */
export function joinBridge(leg: LegRec, bridge: string, at: number): void {
  if (leg.bridges.some((s) => s.b === bridge && s.left === null)) return;
  leg.bridges.push({ b: bridge, at, left: null });
}

/** Records a bridge leave; a leave for a bridge the leg never joined is ignored (2-13 has such). */
export function leaveBridge(leg: LegRec, bridge: string, at: number): void {
  const stay = leg.bridges.find((s) => s.b === bridge && s.left === null);
  if (stay) stay.left = at;
}

export function inAnyBridge(leg: LegRec): boolean {
  return leg.bridges.some((s) => s.left === null);
}

/** When the leg last left a bridge (null if it never did). */
export function lastLeftAt(leg: LegRec): number | null {
  let t: number | null = null;
  for (const s of leg.bridges) if (s.left !== null && (t === null || s.left > t)) t = s.left;
  return t;
}

/** Every other leg that was ever in `bridge`, with the time it joined. */
export function bridgeMates(state: ModelState, leg: LegRec, bridge: string): { leg: LegRec; at: number }[] {
  const out: { leg: LegRec; at: number }[] = [];
  for (const other of valuesOf(state.legs)) {
    if (other.u === leg.u) continue;
    const stay = other.bridges.find((s) => s.b === bridge);
    if (stay) out.push({ leg: other, at: stay.at });
  }
  return out;
}

/** The other half (`;1` ↔ `;2`) of a Local channel, when known. */
export function localPartner(state: ModelState, leg: LegRec): LegRec | null {
  const ch = parseChannel(leg.channel);
  if (!ch || ch.tech !== 'Local') return null;
  // Local channel counters restart with Asterisk, so an old leg may share the name: take the latest.
  let best: LegRec | null = null;
  for (const other of valuesOf(state.legs)) {
    if (other.u === leg.u) continue;
    const oc = parseChannel(other.channel);
    if (
      oc &&
      oc.tech === 'Local' &&
      oc.base === ch.base &&
      oc.half !== ch.half &&
      (!best || other.lastAt > best.lastAt)
    )
      best = other;
  }
  return best;
}
