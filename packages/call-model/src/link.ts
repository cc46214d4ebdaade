// Linking legs to calls: through bridges (BridgeUniqueid), Local channel halves (`…;1/;2`), FollowMe
// mobile numbers and the extension that is talking with a client. Also where answer evidence is taken:
// a bridge shared by the client-facing leg and a talker (an extension's SIP leg or a FollowMe Local half).
import { type CallRec, type LegRec, type LegRole, valuesOf } from './state.ts';
import { type Ctx, emitAnswered, emitRinging } from './effects.ts';
import { callerExt, isFacing, liveCall, liveCalls } from './calls.ts';
import { clientCall, engagedCall, mobileCall } from './engaged.ts';
import { bridgeMates, localPartner } from './legs.ts';
import { bornAfter } from './host-time.ts';
import { CONSULTATION_CONTEXT, isExtension, isExternal, isTrunkChannel, parseChannel, sameNumber } from './numbers.ts';
import { addOnce, addRinging } from './summary.ts';

/** The role a newly linked leg takes from its channel name. */
function roleFromChannel(c: CallRec, leg: LegRec): LegRole {
  const ch = parseChannel(leg.channel);
  if (ch?.tech === 'Local')
    return ch.context === CONSULTATION_CONTEXT ? 'consultation' : isExternal(ch.num) ? 'mobile' : 'other';
  if (c.s.direction === 'out' && isTrunkChannel(ch)) return 'trunk';
  return 'other';
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
  // The client leg of an outgoing call linked after it bridged (its call was held back or created by
  // a hangup whose dial was lost): its bridge is the answer, as if it had been linked all along.
  const first = leg.bridges[0];
  if (first && isFacing(c, leg)) noteClientBridge(ctx, c, leg.cl, first.at);
}

/**
 * The client-facing leg entered a bridge: remember the connected line (answer fallback, 2-13), and for
 * an outgoing call this is the answer — the client leg is bridged only once the client picked up (1-2
 * has no bridge pair at all).
 */
export function noteClientBridge(ctx: Ctx, c: CallRec, connectedLine: string, at: number): void {
  c.bridgeConnectedLine = connectedLine;
  if (c.firstBridgeAt === null) c.firstBridgeAt = at;
  if (c.s.direction === 'out' && callerExt(c)) noteTalk(ctx, c, callerExt(c), at, null);
}

/**
 * The caller of an outgoing call whose dial was lost (its hangup names no extension: 1-2, 1-4, 1-9 end
 * with Extensions [""]), from the earliest evidence: the caller's own channel `SIP/<ext>-…` (the
 * call's UniqueId bridged), else the first ConnectedLineNum of the client leg (the trunk's
 * new_callerid right after the dial names the caller; later ones may name a transfer target). The
 * caller rings (popup) and, once the client picked up, is the call's manager.
 */
export function recoverCaller(ctx: Ctx, c: CallRec): void {
  if (c.s.direction !== 'out' || callerExt(c) || c.finalizedAt !== null) return;
  const ch = parseChannel(ctx.state.legs[c.primary]?.channel ?? '');
  let ext = ch?.tech === 'SIP' && isExtension(ch.num) ? ch.num : '';
  if (!ext) {
    const trunks = c.s.legs
      .map((u) => ctx.state.legs[u])
      .filter((l): l is LegRec => l !== undefined && l.role === 'trunk' && isExtension(l.cl0 ?? ''))
      .sort((a, b) => a.firstAt - b.firstAt);
    ext = trunks[0]?.cl0 ?? '';
  }
  if (!ext) return;
  emitRinging(ctx, c, addRinging(c.s, [ext]));
  if (c.s.answered && c.s.answeredBy === null) {
    c.s.answeredBy = ext;
    addOnce(c.s.talkedWith, ext);
  } else if (c.firstBridgeAt !== null) {
    noteTalk(ctx, c, ext, c.firstBridgeAt, null);
  }
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
  if (leg.call !== null || leg.held) return; // a held dial is decided by its own rules (model.ts)
  if (leg.pending) {
    const p = leg.pending;
    const c =
      mobileCall(ctx, p.phone, p.exts, true, false, leg.u) ??
      p.exts.map((e) => engagedCall(ctx, e, true, leg.firstAt, leg.u)).find((x) => x !== null) ??
      clientCall(ctx, p.exts, leg.u) ??
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
    // The half's originator first: the `;2` half carries it as CallerID, the `;1` half as connected
    // line (1-5: `;1` cid=152 cl=151). The other number is the target, who may still be finishing the
    // manager's previous call (1-4 then 1-5: 152 just took 1-4's client).
    const nums = ch.half === 1 ? [leg.cl, leg.cid] : [leg.cid, leg.cl];
    const byExt = nums.map((e) => engagedCall(ctx, e, true, leg.firstAt, leg.u)).find((c) => c !== null) ?? null;
    if (ch.context === CONSULTATION_CONTEXT) {
      if (byExt) attach(ctx, leg, byExt, 'consultation');
      return;
    }
    if (!isExternal(ch.num)) return;
    const c = mobileCall(ctx, ch.num, [leg.cid, leg.cl], true, true, leg.u) ?? byExt;
    if (c) attach(ctx, leg, c, 'mobile');
    return;
  }
  if (isTrunkChannel(ch) && leg.cid) {
    const calls = liveCalls(ctx, true);
    const out = clientLegCall(ctx, calls, leg);
    if (out === 'wait') return;
    if (out) return attach(ctx, leg, out, 'trunk');
    // The trunk channel of a FollowMe leg (it dials the mobile): part of the call, not a talker.
    const follow = calls.find(
      (c) => c.s.mobiles.some((m) => sameNumber(m, leg.cid)) && !bornAfter(ctx.state, c, leg.u),
    );
    if (follow) attach(ctx, leg, follow, 'other');
  }
}

/**
 * The outgoing call a new trunk channel (`SIP/<trunk>-…`, CallerID = the dialled number) is the client
 * leg of: the newest call to that number that still waits for its client. A manager often calls the
 * same client again right after a call (a dropped line): the old call's client leg was already bridged
 * (answered) or its caller hung up before this channel appeared, so it takes no new client leg (1-9's
 * failover trunk joins a call whose first trunk never bridged). 'wait' when the newest candidate is a
 * dial still held back (call-events.ts): the leg is linked once that call exists.
 */
function clientLegCall(ctx: Ctx, calls: CallRec[], leg: LegRec): CallRec | 'wait' | null {
  const w = ctx.opts.settleMs;
  const open = calls.filter((c) => {
    if (c.s.direction !== 'out' || !sameNumber(c.s.phone, leg.cid) || bornAfter(ctx.state, c, leg.u)) return false;
    const primary = ctx.state.legs[c.primary];
    if (primary?.hungUp && primary.lastAt + w < leg.firstAt) return false;
    return !c.s.legs.some((u) => {
      const l = ctx.state.legs[u];
      return l !== undefined && l.role === 'trunk' && l.bridges.some((b) => b.at + w < leg.firstAt);
    });
  });
  const newest = open[0] ?? null; // liveCalls: newest first
  const held = valuesOf(ctx.state.legs).some(
    (l) =>
      l.held &&
      l.call === null &&
      sameNumber(l.held.events[0]!.phone, leg.cid) &&
      (!newest || l.firstAt >= newest.s.startedAt),
  );
  return held ? 'wait' : newest;
}

/**
 * Retries linking of unlinked legs: a call's new ringing target or talker may be the evidence an
 * earlier leg lacked (a FollowMe dial or a consultation half that arrived before the parent's dial
 * or bridge, within the reordering the hosts produce).
 */
export function adoptOrphans(ctx: Ctx): void {
  for (const leg of valuesOf(ctx.state.legs)) {
    if (leg.call === null && !leg.held && (leg.pending || leg.channel)) linkByChannel(ctx, leg);
  }
}
