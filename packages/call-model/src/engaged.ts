// Which call a new leg joins by who is in it: the customer call an extension is talking in (its
// consultations and FollowMe legs join it), the incoming call ringing a mobile, the incoming call of a
// client a FollowMe leg names.
import { type CallRec, type LegRec, valuesOf } from './state.ts';
import type { Ctx } from './effects.ts';
import { callerExt, isFacing, liveCalls } from './calls.ts';
import { inAnyBridge, localPartner } from './legs.ts';
import { bornAfter } from './host-time.ts';
import { CONSULTATION_CONTEXT, isExtension, isExternal, parseChannel, sameNumber } from './numbers.ts';

/**
 * The customer call an extension is talking in at time `at` (it answered or took a transfer and is
 * still in the call). A consultation or a FollowMe leg started by that extension belongs to it (2-7,
 * 2-23, 1-5); a call the extension has already left does not (its next call is its own, see
 * `stillIn`).
 */
export function engagedCall(ctx: Ctx, ext: string, allowEnding: boolean, at: number, uid = ''): CallRec | null {
  if (!isExtension(ext)) return null;
  // A channel the host created after the call was over is not its leg, however soon it arrives.
  const calls = liveCalls(ctx, allowEnding).filter((c) => c.s.kind === 'customer' && !bornAfter(ctx.state, c, uid));
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
  return valuesOf(ctx.state.legs).some((l) => {
    const ch = parseChannel(l.channel);
    if (ch?.tech !== 'SIP' || ch.num !== ext || !sameNumber(l.cl, c.s.phone)) return false;
    const open = l.bridges.filter((s) => s.left === null).map((s) => s.b);
    return (
      open.length > 0 &&
      facing.every((f) => f.bridges.length === 0 || f.bridges.some((s) => s.left === null && open.includes(s.b)))
    );
  });
}

function facingBridged(ctx: Ctx, c: CallRec): boolean {
  return c.s.legs.some((u) => {
    const l = ctx.state.legs[u];
    return l !== undefined && isFacing(c, l) && l.bridges.some((s) => s.left === null);
  });
}

/** The incoming call ringing this mobile (FollowMe); with hints, the one whose client is among them. */
export function mobileCall(
  ctx: Ctx,
  mobile: string,
  hints: string[],
  allowEnding: boolean,
  needHint: boolean,
  uid = '',
): CallRec | null {
  const ringing = liveCalls(ctx, allowEnding).filter(
    (c) => c.s.direction === 'in' && c.s.mobiles.some((m) => sameNumber(m, mobile)) && !bornAfter(ctx.state, c, uid),
  );
  const hinted = ringing.find((c) => hints.some((h) => sameNumber(h, c.s.phone)));
  return hinted ?? (needHint ? null : (ringing[0] ?? null));
}

/**
 * The incoming call of the client a FollowMe leg names in its Extensions (2-5: [375440000001]), when
 * no call is known to ring that mobile: the parent's dial that listed it was lost.
 */
export function clientCall(ctx: Ctx, hints: string[], uid = ''): CallRec | null {
  const calls = liveCalls(ctx, true).filter(
    (c) => c.s.direction === 'in' && c.s.kind === 'customer' && !bornAfter(ctx.state, c, uid),
  );
  return calls.find((c) => hints.some((h) => isExternal(h) && sameNumber(h, c.s.phone))) ?? null;
}
