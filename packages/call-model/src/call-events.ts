// start/dial/hangup: what they do to the call they belong to, how a new call is created, and the
// held-back decision of a new outgoing call (a FollowMe leg of a transfer looks exactly like its
// manager's own outgoing call until the evidence that the manager talks with a client has arrived).
import type { Direction, HostEvent, OriginateMatch } from './types.ts';
import { type CallRec, type LegRec, keysChanged, valuesOf } from './state.ts';
import { type Ctx, emitRinging, emitStarted } from './effects.ts';
import { classify } from './classify.ts';
import { inAnyBridge } from './legs.ts';
import { callerExt, liveCall } from './calls.ts';
import { adoptOrphans, attach, evaluateBridge, noteTalk, recoverCaller } from './link.ts';
import { CONSULTATION_CONTEXT, hostSeconds, isExtension, isExternal, parseChannel } from './numbers.ts';
import { addRinging, newSummary } from './summary.ts';
import { markEnding } from './timers.ts';
import { bornAfter, hostEndOf } from './host-time.ts';

/**
 * Applies a start/dial/hangup to its leg. An unlinked leg is classified first; a new outgoing call is
 * held back for settleMs (`mayHold`; released calls are not held again) unless it runs on the
 * caller's own channel (`ownChannel`). Events of a held leg wait with it (`reviewHeld`).
 */
export function onCallEvent(ctx: Ctx, leg: LegRec, ev: HostEvent, mayHold = true): void {
  if (leg.held) {
    leg.held.events.push(ev);
    if (ev.type === 'hangup') {
      leg.hungUp = true;
      // A call whose own hangup arrived is decided now, with what is known (issue 13): holding it
      // longer let the manager's next dial, arriving in the same burst, take it away.
      reviewHeld(ctx, leg, true);
    }
    return;
  }
  let c = liveCall(ctx, leg.call);
  let created = false;
  if (!c) {
    const d = classify(ctx, ev);
    if (d.kind === 'late') {
      leg.call = d.callId;
      return;
    }
    let originated: OriginateMatch | null = null;
    if (d.kind === 'new' && d.direction === 'out') {
      const doubt = mayHold ? ambiguity(ctx, leg, ev) : 'none';
      // Click-to-call: only our own originate records count, never the host's ExternalInitiated flag.
      // A record of ours settles the call at once (a FollowMe or transfer leg never matches one), so
      // the popup of a click-to-call (a Local channel, 1-2) does not wait out the hold below, and its
      // `Local/151@web-originate-…;2` leg is not taken for a FollowMe half. The extension as the host
      // names it: Extensions, else CallerIDNum, else the channel; '' = unknown (issue 15.2, services/
      // call-intake/src/processor/originates.ts matches it by number and time).
      originated =
        ctx.opts.originates?.({
          extension:
            ev.extensions.find(isExtension) ??
            [ev.callerIdNum, parseChannel(ev.channel || leg.channel)?.num ?? ''].find(isExtension) ??
            '',
          phone: d.phone,
          at: ev.receivedAt,
        }) ?? null;
      if (!originated && (looksLikeFollowMe(leg, ev) || doubt === 'mobile')) {
        // Not a manager's own call: a FollowMe leg whose incoming call we have not seen yet.
        leg.pending = { phone: ev.phone, exts: ev.extensions };
        if (ev.type === 'hangup') leg.hungUp = true;
        return;
      }
      if (!originated && doubt === 'hold' && ctx.opts.settleMs > 0 && !ownChannel(leg, ev)) {
        leg.held = { events: [ev], until: ev.receivedAt + ctx.opts.settleMs };
        if (ev.type === 'hangup') leg.hungUp = true;
        return;
      }
    }
    if (d.kind === 'attach') {
      attach(ctx, leg, d.call, d.role);
      c = d.call;
    } else {
      c = createCall(ctx, leg, ev, d.direction, d.phone);
      created = true;
      if (d.direction === 'out') c.s.originatedBy = originated;
      emitRinging(ctx, c, addRinging(c.s, d.ringing));
    }
  }
  if (ev.type === 'hangup') leg.hungUp = true;
  if (leg.role === 'primary') {
    if (ev.trunk && c.s.kind === 'customer') c.s.trunk = ev.trunk; // 1-9: the failover trunk carried the call
    if (!created && ev.type !== 'start') {
      const targets =
        c.s.direction === 'internal' && ev.type === 'dial' && ev.callType === 2 ? [ev.phone] : ev.extensions;
      emitRinging(ctx, c, addRinging(c.s, targets));
    }
    if (created) {
      // A call created by its hangup (its dial was lost): its caller first, so that the bridges name
      // the caller as the first talker (1-4: 151 before the transfer target 152).
      recoverCaller(ctx, c);
      for (const stay of leg.bridges) evaluateBridge(ctx, leg, stay.b, stay.at);
      // Legs that arrived before their call (the client leg of a held or dial-less outgoing call).
      adoptOrphans(ctx);
      recoverCaller(ctx, c);
    }
    if (ev.type === 'hangup') onPrimaryHangup(ctx, c, leg, ev);
  } else if (leg.role === 'mobile') {
    addRinging(c.s, isExternal(ev.phone) ? [ev.phone] : []);
  } else if (leg.role === 'trunk' && ev.type === 'hangup') {
    // The client of an outgoing call hung up: the call is over whatever the caller's leg does.
    c.hangupSeen = true;
    c.hostEnd = hostEndOf(ev) ?? c.hostEnd ?? null;
    markEnding(c, ev.receivedAt, ev.receivedAt + ctx.opts.settleMs);
  }
}

/**
 * Re-examines a held outgoing dial: it is released as soon as the evidence decides it (its channel is
 * the caller's own phone or a FollowMe `Local/<mobile>@…` half; the extension it names turned out to
 * talk with a client, or its number to ring in an incoming call), and at its deadline (`force`) as a
 * call of its own. Released events are applied in their arrival order, as if they had just arrived.
 */
export function reviewHeld(ctx: Ctx, leg: LegRec, force: boolean): void {
  const held = leg.held;
  if (!held) return;
  const first = held.events[0]!;
  // Linked meanwhile through a bridge pair: its events join that call like any late leg's.
  const decided =
    force ||
    leg.call !== null ||
    ownChannel(leg, first) ||
    looksLikeFollowMe(leg, first) ||
    classify(ctx, first).kind !== 'new' ||
    ambiguity(ctx, leg, first) !== 'hold';
  if (!decided) return;
  leg.held = null;
  if (leg.call !== null && !liveCall(ctx, leg.call)) return; // linked to a call that has ended meanwhile
  for (const ev of held.events) onCallEvent(ctx, leg, ev, false);
  adoptOrphans(ctx);
}

/** Reviews every held dial after an event (the event may have been the evidence one was waiting for). */
export function reviewHeldLegs(ctx: Ctx): void {
  for (const leg of valuesOf(ctx.state.legs)) if (leg.held) reviewHeld(ctx, leg, false);
}

function createCall(ctx: Ctx, leg: LegRec, ev: HostEvent, direction: Direction, phone: string): CallRec {
  const s = newSummary(
    leg.u,
    direction,
    phone,
    direction === 'internal' ? '' : ev.trunk,
    Math.min(leg.firstAt, ev.receivedAt),
  );
  const c: CallRec = {
    s,
    primary: leg.u,
    lastEventAt: ev.receivedAt,
    hangupSeen: false,
    hangupStatus: '',
    hostSec: null,
    hostEnd: null,
    firstBridgeAt: null,
    bridgeConnectedLine: '',
    lastPartner: null,
    awaitTrunk: false,
    endingAt: null,
    emitAt: null,
    finalizedAt: null,
    ringingEffects: 0,
    answeredEmitted: false,
  };
  ctx.state.calls[leg.u] = c;
  keysChanged(ctx.state.calls);
  leg.call = leg.u;
  leg.role = 'primary';
  s.legs.push(leg.u);
  emitStarted(ctx, c);
  return c;
}

function onPrimaryHangup(ctx: Ctx, c: CallRec, leg: LegRec, ev: HostEvent): void {
  c.hangupSeen = true;
  c.hangupStatus = ev.callStatus;
  c.s.hostStartTime = ev.startTime;
  c.s.hostEndTime = ev.endTime;
  const a = hostSeconds(ev.startTime);
  const b = hostSeconds(ev.endTime);
  c.hostSec = a !== null && b !== null ? b - a : null;
  c.hostEnd = hostEndOf(ev);
  if (ev.callStatus === '2' && !c.s.answered) {
    // Answered per DIALSTATUS, but no bridge told us by whom (lost events, 2-13's mismatched bridges).
    const who =
      c.s.direction === 'out'
        ? callerExt(c)
        : (ev.extensions.find((e) => isExtension(e) && e !== c.s.phone) ??
          (isExtension(c.bridgeConnectedLine) ? c.bridgeConnectedLine : undefined) ??
          ev.extensions.find(isExternal) ??
          '');
    noteTalk(ctx, c, who, c.firstBridgeAt ?? c.s.startedAt, null);
  }
  // 1-4: the caller left an outgoing call while the client is still bridged with the transfer target.
  const trunkBridged =
    c.s.direction === 'out' &&
    c.s.legs.some((u) => {
      const l = ctx.state.legs[u];
      return l !== undefined && l.role === 'trunk' && !l.hungUp && inAnyBridge(l);
    });
  if (trunkBridged) c.awaitTrunk = true;
  else markEnding(c, ev.receivedAt, ev.receivedAt + ctx.opts.settleMs);
}

/**
 * A manager's outgoing dial names the caller extension in Extensions and runs on its SIP channel; a
 * FollowMe leg names the client (2-5: Extensions [375440000001]) and runs on a `Local/<mobile>@<ctx>`
 * half. Either FollowMe sign keeps it from becoming an outgoing call of its own.
 */
function looksLikeFollowMe(leg: LegRec, ev: HostEvent): boolean {
  const ch = parseChannel(leg.channel);
  if (ch?.tech === 'Local' && ch.context !== CONSULTATION_CONTEXT) return true;
  return ev.extensions.length > 0 && !ev.extensions.some(isExtension);
}

/**
 * Whether a new outgoing dial (no FollowMe sign of its own) may still be a FollowMe leg of another
 * call, the only reason to hold its popup back (issue 13: the hold delayed every outgoing popup by
 * 2 s and, in a burst, let the next dial take the call away). 'hold' only while a customer call is
 * going on whose FollowMe the dial could be: its own hangup has not arrived, it was not over on the
 * host when the dial's channel was created, and the dial's extension has a part in it (`involves`;
 * with Extensions [""], the CallerIDNum or channel names it; with none known, any part). 'mobile'
 * when such a call goes on and the number is a manager's mobile the operator mapped
 * (`managerMobile`): a FollowMe leg, no doubt. 'none' otherwise.
 */
function ambiguity(ctx: Ctx, leg: LegRec, ev: HostEvent): 'hold' | 'mobile' | 'none' {
  const named = ev.extensions.filter(isExtension);
  const other = [ev.callerIdNum, parseChannel(ev.channel || leg.channel)?.num ?? ''].find(isExtension);
  const exts = named.length > 0 ? named : other ? [other] : [];
  const going = valuesOf(ctx.state.calls).some(
    (c) =>
      c.finalizedAt === null &&
      c.endingAt === null &&
      !c.hangupSeen &&
      c.s.kind === 'customer' &&
      c.primary !== leg.u &&
      !bornAfter(ctx.state, c, leg.u) &&
      (exts.length === 0 || exts.some((e) => involves(ctx, c, e))),
  );
  if (!going) return 'none';
  return ctx.opts.managerMobile?.(ev.phone) ? 'mobile' : 'hold';
}

/**
 * The extension has a part in the call, so a FollowMe transfer of the call may start from it: it
 * rang, talked, or is named by one of the call's channels (a consultation half `Local/152@…`, a
 * connected line), or nobody is known to ring in an incoming call (its dial was lost). A call centre
 * always has some incoming call ringing: a manager who is not in it dials at once.
 */
function involves(ctx: Ctx, c: CallRec, ext: string): boolean {
  if (c.s.ringing.includes(ext) || c.s.talkedWith.includes(ext) || c.bridgeConnectedLine === ext) return true;
  if (c.s.direction === 'in' && c.s.ringing.length === 0) return true;
  return c.s.legs.some((u) => {
    const l = ctx.state.legs[u];
    return l !== undefined && (parseChannel(l.channel)?.num === ext || l.cid === ext || l.cl === ext);
  });
}

/** The dial runs on the caller's own phone (`SIP/151-…` with 151 in Extensions): a manager's own call. */
function ownChannel(leg: LegRec, ev: HostEvent): boolean {
  const ch = parseChannel(leg.channel);
  return ch?.tech === 'SIP' && ev.extensions.includes(ch.num);
}
