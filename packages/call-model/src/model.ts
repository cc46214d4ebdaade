// The pure call model of one enterprise: (state, event) → (state, effects) and (state, now) → (state,
// effects). Events arrive in our arrival order; events of one UniqueId in order, different UniqueIds up
// to a couple of seconds out of order, duplicates possible (shared/domain/asterisk-events.md).
import type { CallEffect, HostEvent, ModelOptions } from './types.ts';
import { type LegRec, type ModelState, emptyModelState, withDefaults, valuesOf } from './state.ts';
import type { Ctx } from './effects.ts';
import { isDuplicate, joinBridge, leaveBridge, rememberEvent, touchLeg } from './legs.ts';
import { isFacing, liveCall } from './calls.ts';
import { adoptOrphans, evaluateBridge, linkByChannel, noteClientBridge, recoverCaller } from './link.ts';
import { onCallEvent, reviewHeld, reviewHeldLegs } from './call-events.ts';
import { nextActionAt, runTimers } from './timers.ts';

export type { ModelState };

/** A state with no calls (a new enterprise). */
export function emptyState(): ModelState {
  return emptyModelState();
}

function begin(state: ModelState, opts: ModelOptions | undefined): Ctx {
  // The caller's state is never mutated unless it asked for it (ModelOptions.inPlace).
  return { state: opts?.inPlace ? state : structuredClone(state), opts: withDefaults(opts), effects: [] };
}

/**
 * Applies one host event (normalised, `receivedAt` on our clock). Timers due before the event fire
 * first, so a batch replay and a live run produce the same effects. Returns the new state and the
 * effects to perform (idempotency key = callId + effect key).
 */
export function applyEvent(
  state: ModelState,
  ev: HostEvent,
  opts: ModelOptions = {},
): { state: ModelState; effects: CallEffect[] } {
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
    runTimers(ctx, now, decideHeld);
    onEffects?.(-1, ctx.effects);
    all.push(...ctx.effects);
  }
  return { state: ctx.state, effects: all };
}

function step(ctx: Ctx, ev: HostEvent): void {
  runTimers(ctx, ev.receivedAt, decideHeld);
  // bridge_create/bridge_destroy carry no channel: membership comes from bridge/bridge_leave.
  if (ev.uniqueId && !isDuplicate(ctx.state, ev)) {
    handle(ctx, ev);
    afterEvent(ctx);
  }
}

/** Lets time pass up to `now` (ms): settle, close-without-hangup, stale and pruning deadlines. */
export function advanceTime(
  state: ModelState,
  now: number,
  opts: ModelOptions = {},
): { state: ModelState; effects: CallEffect[] } {
  const ctx = begin(state, opts);
  runTimers(ctx, now, decideHeld);
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
  if (c && isFacing(c, leg)) noteClientBridge(ctx, c, ev.connectedLineNum, ev.receivedAt);
}

/** A held dial whose deadline came is a call of its own (no evidence made it a leg meanwhile). */
function decideHeld(ctx: Ctx, leg: LegRec): void {
  reviewHeld(ctx, leg, true);
}

/**
 * After every event: held dials the event may have decided, legs that can now be linked, and callers
 * of outgoing calls whose dial was lost that the event may have revealed.
 */
function afterEvent(ctx: Ctx): void {
  reviewHeldLegs(ctx);
  adoptOrphans(ctx);
  for (const c of valuesOf(ctx.state.calls)) recoverCaller(ctx, c);
}
