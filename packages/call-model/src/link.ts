// Linking legs to calls: through bridges (BridgeUniqueid), Local channel halves (`…;1/;2`), FollowMe
// mobile numbers and the extension that is talking with a client. Also where answer evidence is taken:
// a bridge shared by the client-facing leg and a talker (an extension's SIP leg or a FollowMe Local half).
import type { CallRec, LegRec, LegRole } from './state.ts';
import { type Ctx, emitAnswered, emitRinging } from './effects.ts';
import { bridgeMates, inAnyBridge, localPartner } from './legs.ts';
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
 * The customer call an extension is talking in at time `at` (it answered or took a transfer and is
 * still in the call). A consultation or a FollowMe leg started by that extension belongs to it (2-7,
 * 2-23, 1-5); a call the extension has already left does not (its next call is its own, see
 * `stillIn`).
 */
export function engagedCall(ctx: Ctx, ext: string, allowEnding: boolean, at: number): CallRec | null {
  if (!isExtension(ext)) return null;
  const calls = liveCalls(ctx, allowEnding).filter((c) => c.s.kind === 'customer');
  // Also the extension the client's bridge names as connected line: the bridge pair may still be in
  // flight (events of different UniqueIds arrive up to 2 s out of order).
  return (
    calls.find((c) => c.s.talkedWith.includes(ext) && stillIn(ctx, c, ext, at)) ??
    calls.find((c) => c.bridgeConnectedLine === ext && facingBridged(ctx, c) && stillIn(ctx, c, ext, at)) ??
    calls.find((c) => c.s.ringing.includes(ext) && extBridgedWithClient(ctx, ext, c) && stillIn(ctx, c, ext, at)) ??
    null
  );
}

/** The extension's own legs in the call: its SIP channels, and the caller's leg of an outgoing call. */
function ownLegs(ctx: Ctx, c: CallRec, ext: string): LegRec[] {
  const out: LegRec[] = [];
  for (const u of c.s.legs) {
    const l = ctx.state.legs[u];
    if (!l) continue;
    const ch = parseChannel(l.channel);
    if ((ch?.tech === 'SIP' && ch.num === ext) || (u === c.primary && callerExt(c) === ext)) out.push(l);
  }
  return out;
}

/**
 * Whether the extension is still in the call at `at`. Managers take the next call seconds after the
 * last one, while that call may still be open (1-4 waits for the client to leave the transfer target;
 * 2-28 closes 5 s after the client's last bridge): the new call must not become a leg of the old one.
 * The manager is in while its own leg is in a bridge, or out of them on its way through a consultation
 * it started (2-30: 151 moves into the consultation's bridge, a join the host does not report). It is
 * out once its own leg hung up (1-4's caller) or left its last bridge with no consultation going on
 * (2-28: 151 passed the client on to FollowMe 300) — give or take the reordering window: events of
 * other UniqueIds arrive up to settleMs late, a consultation's hangup after the manager's own hangup
 * or last bridge_leave (1-5). With no own leg known yet the caller's evidence (the client's bridge
 * names the extension) is current by itself.
 */
function stillIn(ctx: Ctx, c: CallRec, ext: string, at: number): boolean {
  const own = ownLegs(ctx, c, ext);
  if (own.length === 0 || own.some((l) => !l.hungUp && inAnyBridge(l))) return true;
  const w = ctx.opts.settleMs;
  const last = Math.max(...own.map((l) => l.lastAt));
  if (own.some((l) => l.hungUp)) return at <= last + w;
  return consulting(ctx, c, ext) || at <= last + 2 * w;
}

/**
 * The extension has a consultation going on in the call: a `Local/…@dialexecute` half it started (the
 * `;2` half's CallerID, the `;1` half's connected line) of which neither half hung up. Once the
 * transfer completes the `;2` half's CallerID becomes the client (2-23), so a completed transfer is
 * no longer the manager's.
 */
function consulting(ctx: Ctx, c: CallRec, ext: string): boolean {
  return c.s.consultationLegs.some((u) => {
    const l = ctx.state.legs[u];
    const ch = parseChannel(l?.channel ?? '');
    if (!l || ch?.tech !== 'Local' || ch.context !== CONSULTATION_CONTEXT) return false;
    if ((ch.half === 2 ? l.cid : l.cl) !== ext) return false;
    return !l.hungUp && !localPartner(ctx.state, l)?.hungUp;
  });
}

/**
 * The extension's SIP leg sits in a bridge connected to this call's client (the client's own bridge
 * event may lag). Not when the client's leg is known to be elsewhere: in another bridge, or out of the
 * bridges it was in (2-5 then 1-2 with the same client: the manager's click-to-call leg shows the
 * client as connected line while the old call waits to be closed).
 */
function extBridgedWithClient(ctx: Ctx, ext: string, c: CallRec): boolean {
  const facing = c.s.legs.map((u) => ctx.state.legs[u]).filter((l): l is LegRec => l !== undefined && isFacing(c, l));
  return Object.values(ctx.state.legs).some((l) => {
    const ch = parseChannel(l.channel);
    if (ch?.tech !== 'SIP' || ch.num !== ext || !sameNumber(l.cl, c.s.phone)) return false;
    const open = l.bridges.filter((s) => s.left === null).map((s) => s.b);
    return open.length > 0 && facing.every((f) => f.bridges.length === 0 || f.bridges.some((s) => s.left === null && open.includes(s.b)));
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

/**
 * The incoming call of the client a FollowMe leg names in its Extensions (2-5: [375440000001]), when
 * no call is known to ring that mobile: the parent's dial that listed it was lost.
 */
function clientCall(ctx: Ctx, hints: string[]): CallRec | null {
  const calls = liveCalls(ctx, true).filter((c) => c.s.direction === 'in' && c.s.kind === 'customer');
  return calls.find((c) => hints.some((h) => isExternal(h) && sameNumber(h, c.s.phone))) ?? null;
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
      mobileCall(ctx, p.phone, p.exts, true, false) ??
      p.exts.map((e) => engagedCall(ctx, e, true, leg.firstAt)).find((x) => x !== null) ??
      clientCall(ctx, p.exts) ??
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
    const byExt = nums.map((e) => engagedCall(ctx, e, true, leg.firstAt)).find((c) => c !== null) ?? null;
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
    const out = clientLegCall(ctx, calls, leg);
    if (out === 'wait') return;
    if (out) return attach(ctx, leg, out, 'trunk');
    // The trunk channel of a FollowMe leg (it dials the mobile): part of the call, not a talker.
    const follow = calls.find((c) => c.s.mobiles.some((m) => sameNumber(m, leg.cid)));
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
    if (c.s.direction !== 'out' || !sameNumber(c.s.phone, leg.cid)) return false;
    const primary = ctx.state.legs[c.primary];
    if (primary?.hungUp && primary.lastAt + w < leg.firstAt) return false;
    return !c.s.legs.some((u) => {
      const l = ctx.state.legs[u];
      return l !== undefined && l.role === 'trunk' && l.bridges.some((b) => b.at + w < leg.firstAt);
    });
  });
  const newest = open[0] ?? null; // liveCalls: newest first
  const held = Object.values(ctx.state.legs).some(
    (l) => l.held && l.call === null && sameNumber(l.held.events[0]!.phone, leg.cid) && (!newest || l.firstAt >= newest.s.startedAt),
  );
  return held ? 'wait' : newest;
}

/**
 * Retries linking of unlinked legs: a call's new ringing target or talker may be the evidence an
 * earlier leg lacked (a FollowMe dial or a consultation half that arrived before the parent's dial
 * or bridge, within the reordering the hosts produce).
 */
export function adoptOrphans(ctx: Ctx): void {
  for (const leg of Object.values(ctx.state.legs)) {
    if (leg.call === null && !leg.held && (leg.pending || leg.channel)) linkByChannel(ctx, leg);
  }
}
