// The pure call model of one enterprise: (state, event) → (state, effects) and (state, now) → (state,
// effects). Events arrive in our arrival order; events of one UniqueId in order, different UniqueIds up
// to a couple of seconds out of order, duplicates possible (shared/domain/asterisk-events.md).
import type { CallEffect, HostEvent, ModelOptions } from './types.ts';
import { type CallRec, type LegRec, type ModelState, emptyModelState, withDefaults } from './state.ts';
import { type Ctx, emitRinging, emitStarted } from './effects.ts';
import { classify } from './classify.ts';
import { inAnyBridge, isDuplicate, joinBridge, leaveBridge, rememberEvent, touchLeg } from './legs.ts';
import { adoptOrphans, attach, callerExt, evaluateBridge, isFacing, linkByChannel, liveCall, noteTalk } from './link.ts';
import { CONSULTATION_CONTEXT, hostSeconds, isExtension, isExternal, parseChannel } from './numbers.ts';
import { addRinging, newSummary } from './summary.ts';
import { markEnding, nextActionAt, runTimers } from './timers.ts';
import type { Direction } from './types.ts';

export type { ModelState };

/** A state with no calls (a new enterprise). */
export function emptyState(): ModelState {
  return emptyModelState();
}

function begin(state: ModelState, opts: ModelOptions | undefined): Ctx {
  // Never mutate the caller's state: call-intake snapshots and retries on errors.
  return { state: structuredClone(state), opts: withDefaults(opts), effects: [] };
}

/**
 * Applies one host event (normalised, `receivedAt` on our clock). Timers due before the event fire
 * first, so a batch replay and a live run produce the same effects. Returns the new state and the
 * effects to perform (idempotency key = callId + effect key).
 */
export function applyEvent(state: ModelState, ev: HostEvent, opts: ModelOptions = {}): { state: ModelState; effects: CallEffect[] } {
  const ctx = begin(state, opts);
  step(ctx, ev);
  return { state: ctx.state, effects: ctx.effects };
}

/**
 * Applies several events in order, then lets time pass up to `now` when given: the same result as
 * applyEvent per event followed by advanceTime, but the state is copied once per batch instead of
 * once per event (the copy is proportional to the enterprise's state, which holds every call of the
 * last minutes). `onEffects(i, effects)` receives the effects each event produced, for attribution.
 */
export function applyEvents(
  state: ModelState,
  events: readonly HostEvent[],
  opts: ModelOptions = {},
  now?: number,
  onEffects?: (index: number, effects: CallEffect[]) => void,
): { state: ModelState; effects: CallEffect[] } {
  const ctx = begin(state, opts);
  const all: CallEffect[] = [];
  events.forEach((ev, i) => {
    ctx.effects = [];
    step(ctx, ev);
    onEffects?.(i, ctx.effects);
    all.push(...ctx.effects);
  });
  if (now !== undefined) {
    ctx.effects = [];
    runTimers(ctx, now);
    onEffects?.(-1, ctx.effects);
    all.push(...ctx.effects);
  }
  return { state: ctx.state, effects: all };
}

function step(ctx: Ctx, ev: HostEvent): void {
  runTimers(ctx, ev.receivedAt);
  // bridge_create/bridge_destroy carry no channel: membership comes from bridge/bridge_leave.
  if (ev.uniqueId && !isDuplicate(ctx.state, ev)) {
    handle(ctx, ev);
    adoptOrphans(ctx);
  }
}

/** Lets time pass up to `now` (ms): settle, close-without-hangup, stale and pruning deadlines. */
export function advanceTime(state: ModelState, now: number, opts: ModelOptions = {}): { state: ModelState; effects: CallEffect[] } {
  const ctx = begin(state, opts);
  runTimers(ctx, now);
  return { state: ctx.state, effects: ctx.effects };
}

/**
 * The earliest ms time at which advanceTime would do something, or null. Uses the default options
 * (the signature carries none); pass the same options as to advanceTime when they differ.
 */
export function nextDeadline(state: ModelState, opts: ModelOptions = {}): number | null {
  return nextActionAt(state, withDefaults(opts));
}

function handle(ctx: Ctx, ev: HostEvent): void {
  const leg = touchLeg(ctx.state, ev);
  rememberEvent(leg, ev);
  if (leg.call !== null && !liveCall(ctx, leg.call)) return; // late event of an ended call: never reopens it
  const call = liveCall(ctx, leg.call);
  if (call) call.lastEventAt = Math.max(call.lastEventAt, ev.receivedAt);
  switch (ev.type) {
    case 'new_callerid':
      linkByChannel(ctx, leg);
      return;
    case 'bridge':
      joinBridge(leg, ev.bridgeUniqueId, ev.receivedAt);
      linkByChannel(ctx, leg);
      onBridge(ctx, leg, ev);
      evaluateBridge(ctx, leg, ev.bridgeUniqueId, ev.receivedAt);
      return;
    case 'bridge_leave':
      leaveBridge(leg, ev.bridgeUniqueId, ev.receivedAt);
      return;
    case 'start':
    case 'dial':
    case 'hangup':
      onCallEvent(ctx, leg, ev);
      return;
    default:
      return;
  }
}

function onBridge(ctx: Ctx, leg: LegRec, ev: HostEvent): void {
  const c = liveCall(ctx, leg.call);
  if (!c || !isFacing(c, leg)) return;
  c.bridgeConnectedLine = ev.connectedLineNum;
  if (c.firstBridgeAt === null) c.firstBridgeAt = ev.receivedAt;
  // The client leg of an outgoing call enters a bridge only once the client picked up (1-2 has no pair).
  if (c.s.direction === 'out' && callerExt(c)) noteTalk(ctx, c, callerExt(c), ev.receivedAt, null);
}

function createCall(ctx: Ctx, leg: LegRec, ev: HostEvent, direction: Direction, phone: string): CallRec {
  const s = newSummary(leg.u, direction, phone, direction === 'internal' ? '' : ev.trunk, Math.min(leg.firstAt, ev.receivedAt));
  const c: CallRec = {
    s,
    primary: leg.u,
    lastEventAt: ev.receivedAt,
    hangupSeen: false,
    hangupStatus: '',
    hostSec: null,
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
  leg.call = leg.u;
  leg.role = 'primary';
  s.legs.push(leg.u);
  emitStarted(ctx, c);
  return c;
}

function onCallEvent(ctx: Ctx, leg: LegRec, ev: HostEvent): void {
  let c = liveCall(ctx, leg.call);
  let created = false;
  if (!c) {
    const d = classify(ctx, ev);
    if (d.kind === 'late') {
      leg.call = d.callId;
      return;
    }
    if (d.kind === 'new' && d.direction === 'out' && looksLikeFollowMe(leg, ev)) {
      // Not a manager's own call: a FollowMe leg whose incoming call we have not seen yet.
      leg.pending = { phone: ev.phone, exts: ev.extensions };
      if (ev.type === 'hangup') leg.hungUp = true;
      return;
    }
    if (d.kind === 'attach') {
      attach(ctx, leg, d.call, d.role);
      c = d.call;
    } else {
      c = createCall(ctx, leg, ev, d.direction, d.phone);
      created = true;
      if (d.direction === 'out' && ctx.opts.originates) {
        // Click-to-call: only our own originate records count, never the host's ExternalInitiated flag.
        c.s.originatedBy = ctx.opts.originates({ extension: ev.extensions.find(isExtension) ?? '', phone: d.phone, at: ev.receivedAt });
      }
      emitRinging(ctx, c, addRinging(c.s, d.ringing));
    }
  }
  if (ev.type === 'hangup') leg.hungUp = true;
  if (leg.role === 'primary') {
    if (ev.trunk && c.s.kind === 'customer') c.s.trunk = ev.trunk; // 1-9: the failover trunk carried the call
    if (!created && ev.type !== 'start') {
      const targets = c.s.direction === 'internal' && ev.type === 'dial' && ev.callType === 2 ? [ev.phone] : ev.extensions;
      emitRinging(ctx, c, addRinging(c.s, targets));
    }
    if (created) for (const stay of leg.bridges) evaluateBridge(ctx, leg, stay.b, stay.at);
    if (ev.type === 'hangup') onPrimaryHangup(ctx, c, leg, ev);
  } else if (leg.role === 'mobile') {
    addRinging(c.s, isExternal(ev.phone) ? [ev.phone] : []);
  } else if (leg.role === 'trunk' && ev.type === 'hangup') {
    // The client of an outgoing call hung up: the call is over whatever the caller's leg does.
    c.hangupSeen = true;
    markEnding(c, ev.receivedAt, ev.receivedAt + ctx.opts.settleMs);
  }
}

function onPrimaryHangup(ctx: Ctx, c: CallRec, leg: LegRec, ev: HostEvent): void {
  c.hangupSeen = true;
  c.hangupStatus = ev.callStatus;
  c.s.hostStartTime = ev.startTime;
  c.s.hostEndTime = ev.endTime;
  const a = hostSeconds(ev.startTime);
  const b = hostSeconds(ev.endTime);
  c.hostSec = a !== null && b !== null ? b - a : null;
  if (ev.callStatus === '2' && !c.s.answered) {
    // Answered per DIALSTATUS, but no bridge told us by whom (lost events, 2-13's mismatched bridges).
    const who =
      c.s.direction === 'out'
        ? callerExt(c)
        : (ev.extensions.find((e) => isExtension(e) && e !== c.s.phone) ??
          (isExtension(c.bridgeConnectedLine) ? c.bridgeConnectedLine : undefined) ??
          ev.extensions.find(isExternal) ??
          '');
    if (who) noteTalk(ctx, c, who, c.firstBridgeAt ?? c.s.startedAt, null);
    else noteTalk(ctx, c, '', c.firstBridgeAt ?? c.s.startedAt, null);
  }
  // 1-4: the caller left an outgoing call while the client is still bridged with the transfer target.
  const trunkBridged = c.s.direction === 'out' && c.s.legs.some((u) => {
    const l = ctx.state.legs[u];
    return l !== undefined && l.role === 'trunk' && !l.hungUp && inAnyBridge(l);
  });
  if (trunkBridged) c.awaitTrunk = true;
  else markEnding(c, ev.receivedAt, ev.receivedAt + ctx.opts.settleMs);
}

/**
 * A manager's outgoing dial names the caller extension in Extensions and runs on its SIP channel; a
 * FollowMe leg names the client (2-5: Extensions [375440000001]) and runs on a `Local/<mobile>@<ctx>`
 * half. Either sign keeps it from becoming an outgoing call of its own.
 */
function looksLikeFollowMe(leg: LegRec, ev: HostEvent): boolean {
  const ch = parseChannel(leg.channel);
  if (ch?.tech === 'Local' && ch.context !== CONSULTATION_CONTEXT) return true;
  return ev.extensions.length > 0 && !ev.extensions.some(isExtension);
}
