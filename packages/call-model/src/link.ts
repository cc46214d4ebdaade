// Linking legs to calls: through bridges (BridgeUniqueid), Local channel halves (`…;1/;2`), FollowMe
// mobile numbers and the extension that is talking with a client. Also where answer evidence is taken:
// a bridge shared by the client-facing leg and a talker (an extension's SIP leg or a FollowMe Local half).
import type { CallRec, LegRec, LegRole } from './state.ts';
import { type Ctx, emitAnswered } from './effects.ts';
import { bridgeMates, localPartner } from './legs.ts';
import { CONSULTATION_CONTEXT, isExtension, isExternal, isTrunkChannel, parseChannel, sameNumber } from './numbers.ts';
import { addOnce, addRinging } from './summary.ts';

/** The call, if it still takes information (not yet finalized). */
export function liveCall(ctx: Ctx, callId: string | null): CallRec | null {
  const c = callId === null ? undefined : ctx.state.calls[callId];
  return c && c.finalizedAt === null ? c : null;
}

function liveCalls(ctx: Ctx, allowEnding: boolean): CallRec[] {
  return Object.values(ctx.state.calls)
    .filter((c) => c.finalizedAt === null && (allowEnding || c.endingAt === null))
    .sort((a, b) => b.s.startedAt - a.s.startedAt || (a.s.callId < b.s.callId ? 1 : -1));
}

/**
 * The customer call an extension is talking in (it answered or took a transfer and the call goes on).
 * A consultation or a FollowMe leg started by that extension belongs to it (2-7, 2-23, 1-5).
 */
export function engagedCall(ctx: Ctx, ext: string, allowEnding: boolean): CallRec | null {
  if (!isExtension(ext)) return null;
  const calls = liveCalls(ctx, allowEnding).filter((c) => c.s.kind === 'customer');
  // Also the extension the client's bridge names as connected line: the bridge pair may still be in
  // flight (events of different UniqueIds arrive up to 2 s out of order).
  return (
    calls.find((c) => c.s.talkedWith.includes(ext)) ??
    calls.find((c) => c.bridgeConnectedLine === ext && facingBridged(ctx, c)) ??
    calls.find((c) => c.s.ringing.includes(ext) && extBridgedWithClient(ctx, ext, c.s.phone)) ??
    null
  );
}

/** The extension's SIP leg sits in a bridge connected to this client (the client's own bridge event may lag). */
function extBridgedWithClient(ctx: Ctx, ext: string, client: string): boolean {
  return Object.values(ctx.state.legs).some((l) => {
    const ch = parseChannel(l.channel);
    return ch?.tech === 'SIP' && ch.num === ext && sameNumber(l.cl, client) && l.bridges.some((s) => s.left === null);
  });
}

function facingBridged(ctx: Ctx, c: CallRec): boolean {
  return c.s.legs.some((u) => {
    const l = ctx.state.legs[u];
    return l !== undefined && isFacing(c, l) && l.bridges.some((s) => s.left === null);
  });
}

/** The incoming call ringing this mobile (FollowMe); with hints, the one whose client is among them. */
export function mobileCall(ctx: Ctx, mobile: string, hints: string[], allowEnding: boolean, needHint: boolean): CallRec | null {
  const ringing = liveCalls(ctx, allowEnding).filter(
    (c) => c.s.direction === 'in' && c.s.mobiles.some((m) => sameNumber(m, mobile)),
  );
  const hinted = ringing.find((c) => hints.some((h) => sameNumber(h, c.s.phone)));
  return hinted ?? (needHint ? null : (ringing[0] ?? null));
}

/** The role a newly linked leg takes from its channel name. */
function roleFromChannel(c: CallRec, leg: LegRec): LegRole {
  const ch = parseChannel(leg.channel);
  if (ch?.tech === 'Local') return ch.context === CONSULTATION_CONTEXT ? 'consultation' : isExternal(ch.num) ? 'mobile' : 'other';
  if (c.s.direction === 'out' && isTrunkChannel(ch)) return 'trunk';
  return 'other';
}

/** The client-facing leg of the call: incoming/internal primary, outgoing trunk leg. */
export function isFacing(c: CallRec, leg: LegRec): boolean {
  if (leg.call !== c.s.callId) return false;
  return c.s.direction === 'out' ? leg.role === 'trunk' : leg.u === c.primary;
}

/** The outgoing call's manager: the extension in the caller's dial. */
export function callerExt(c: CallRec): string {
  return c.s.direction === 'out' ? (c.s.ringing[0] ?? '') : '';
}

/** Who talks on this leg when it shares a bridge with the client-facing leg; null for plumbing. */
function talkerOf(c: CallRec, leg: LegRec): string | null {
  if (leg.u === c.primary) return c.s.direction === 'out' ? callerExt(c) || null : null;
  const ch = parseChannel(leg.channel);
  if (!ch) return null;
  if (ch.tech === 'SIP' && isExtension(ch.num)) return ch.num === c.s.phone ? null : ch.num;
  // A FollowMe half `Local/<mobile>@<ctx>;1` bridged with the client: the mobile took the call (2-5).
  if (ch.tech === 'Local' && ch.context !== CONSULTATION_CONTEXT && ch.half === 1 && isExternal(ch.num)) return ch.num;
  return null;
}

/**
 * Answer evidence. The first talker by time is `answeredBy` (the manager who first took the call; a
 * later transfer target only joins `talkedWith`). A reordered earlier pair replaces a later one.
 */
export function noteTalk(ctx: Ctx, c: CallRec, who: string, at: number, partner: LegRec | null): void {
  addOnce(c.s.talkedWith, who);
  if (partner) c.lastPartner = partner.u;
  if (!c.s.answered) {
    c.s.answered = true;
    c.s.answeredBy = who || null;
    c.s.answeredAt = at;
    if (c.s.status === 'ringing') c.s.status = 'talking';
    emitAnswered(ctx, c);
  } else if (c.s.answeredAt !== null && at < c.s.answeredAt) {
    c.s.answeredAt = at;
    c.s.answeredBy = who || null;
  }
}

/** Links `leg` to call `c` with `role`, then follows its Local half and its bridges. */
export function attach(ctx: Ctx, leg: LegRec, c: CallRec, role: LegRole): void {
  if (leg.call !== null && leg.call !== c.s.callId) return;
  const fresh = leg.call === null;
  leg.call = c.s.callId;
  if (fresh || (leg.role === 'other' && role !== 'other')) leg.role = role;
  addOnce(c.s.legs, leg.u);
  if (leg.role === 'mobile') addOnce(c.s.mobileLegs, leg.u);
  if (leg.role === 'consultation') addOnce(c.s.consultationLegs, leg.u);
  c.lastEventAt = Math.max(c.lastEventAt, leg.lastAt);
  if (!fresh) return;
  if (leg.role === 'mobile' || leg.role === 'consultation') {
    const half = localPartner(ctx.state, leg);
    if (half && half.call === null) attach(ctx, half, c, leg.role);
  }
  for (const stay of leg.bridges) evaluateBridge(ctx, leg, stay.b, stay.at);
}

/** Evaluates every pair that `leg` forms in `bridge` (order-independent: the later join decides). */
export function evaluateBridge(ctx: Ctx, leg: LegRec, bridge: string, joinedAt: number): void {
  for (const mate of bridgeMates(ctx.state, leg, bridge)) pair(ctx, leg, mate.leg, Math.max(joinedAt, mate.at));
}

function pair(ctx: Ctx, a: LegRec, b: LegRec, at: number): void {
  if (a.call === null && b.call === null) return;
  if (a.call !== null && b.call !== null && a.call !== b.call) return;
  const c = liveCall(ctx, a.call ?? b.call);
  if (!c) return;
  if (a.call === null) attach(ctx, a, c, roleFromChannel(c, a));
  if (b.call === null) attach(ctx, b, c, roleFromChannel(c, b));
  const facing = isFacing(c, a) ? a : isFacing(c, b) ? b : null;
  if (!facing) return;
  const other = facing === a ? b : a;
  const who = talkerOf(c, other);
  if (who) noteTalk(ctx, c, who, at, other);
}

/**
 * Links an unlinked leg from its channel name once that is known (new_callerid, bridge):
 * the other Local half; a consultation half whose caller is an extension talking with a client;
 * a FollowMe half ringing a mobile of an incoming call; the trunk leg of an outgoing call.
 */
export function linkByChannel(ctx: Ctx, leg: LegRec): void {
  if (leg.call !== null) return;
  if (leg.pending) {
    const p = leg.pending;
    const c =
      mobileCall(ctx, p.phone, p.exts, true, false) ??
      p.exts.map((e) => engagedCall(ctx, e, true)).find((x) => x !== null) ??
      null;
    if (c) {
      attach(ctx, leg, c, 'mobile');
      addRinging(c.s, [p.phone]);
    }
    return;
  }
  const ch = parseChannel(leg.channel);
  if (!ch) return;
  if (ch.tech === 'Local') {
    const half = localPartner(ctx.state, leg);
    const hc = half ? liveCall(ctx, half.call) : null;
    if (half && hc) return attach(ctx, leg, hc, half.role === 'primary' ? 'other' : half.role);
    const byExt = [leg.cid, leg.cl].map((e) => engagedCall(ctx, e, true)).find((c) => c !== null) ?? null;
    if (ch.context === CONSULTATION_CONTEXT) {
      if (byExt) attach(ctx, leg, byExt, 'consultation');
      return;
    }
    if (!isExternal(ch.num)) return;
    const c = mobileCall(ctx, ch.num, [leg.cid, leg.cl], true, true) ?? byExt;
    if (c) attach(ctx, leg, c, 'mobile');
    return;
  }
  if (isTrunkChannel(ch) && leg.cid) {
    const calls = liveCalls(ctx, true);
    const out = calls.find((c) => c.s.direction === 'out' && sameNumber(c.s.phone, leg.cid));
    if (out) return attach(ctx, leg, out, 'trunk');
    // The trunk channel of a FollowMe leg (it dials the mobile): part of the call, not a talker.
    const follow = calls.find((c) => c.s.mobiles.some((m) => sameNumber(m, leg.cid)));
    if (follow) attach(ctx, leg, follow, 'other');
  }
}

/**
 * Retries linking of unlinked legs: a call's new ringing target or talker may be the evidence an
 * earlier leg lacked (a FollowMe dial or a consultation half that arrived before the parent's dial
 * or bridge, within the reordering the hosts produce).
 */
export function adoptOrphans(ctx: Ctx): void {
  for (const leg of Object.values(ctx.state.legs)) {
    if (leg.call === null && (leg.pending || leg.channel)) linkByChannel(ctx, leg);
  }
}
