// Everything the passing of time does: decide held-back outgoing dials, emit `call.ended` after the
// settle time, close calls whose final hangup never comes, close stale calls, and forget ended calls
// and stray legs.
import { type CallRec, type LegRec, type ModelState, type Opts, keysChanged, valuesOf } from './state.ts';
import { type Ctx, emitEnded } from './effects.ts';
import { inAnyBridge, lastLeftAt, localPartner } from './legs.ts';
import { isFacing } from './calls.ts';
import { finishSummary } from './summary.ts';

type Action =
  | { at: number; kind: 'close'; call: CallRec; endedAt: number }
  | { at: number; kind: 'stale'; call: CallRec }
  | { at: number; kind: 'emit'; call: CallRec }
  | { at: number; kind: 'prune'; call: CallRec }
  | { at: number; kind: 'orphan'; leg: string }
  | { at: number; kind: 'decide'; leg: LegRec };

/** Decides a held dial whose deadline came (call-events.ts; passed in to keep the modules acyclic). */
export type DecideHeld = (ctx: Ctx, leg: LegRec) => void;

/**
 * When a call that sent no final hangup may be closed: its client-facing legs left their last bridge
 * and nothing else is live. "Nothing else" is (a) the caller of an outgoing call already hung up while
 * the client was still bridged (1-4), or (b) the client's last partner (or its Local half) hung up —
 * 2-5/2-14/2-17/2-28 end this way after a mobile answered. Without (b) a client who leaves a bridge is
 * being transferred (2-19 rings the next manager for 49 s): we wait for its hangup.
 */
function closeAt(state: ModelState, c: CallRec, opts: Opts): { at: number; endedAt: number } | null {
  const left = closeReady(state, c);
  return left === null ? null : { at: left + Math.max(opts.closeWithoutHangupMs, opts.settleMs), endedAt: left };
}

/**
 * When (our clock) the client of a call without its final hangup left its last bridge, if nothing
 * else is live in the call (closeAt's conditions); null while the call may still go on.
 */
export function closeReady(state: ModelState, c: CallRec): number | null {
  if (c.endingAt !== null || c.finalizedAt !== null) return null;
  let facing = 0;
  let left: number | null = null;
  for (const u of c.s.legs) {
    const l = state.legs[u];
    if (l === undefined || !isFacing(c, l)) continue;
    if (l.hungUp || inAnyBridge(l)) return null;
    facing++;
    const t = lastLeftAt(l);
    if (t !== null && (left === null || t > left)) left = t;
  }
  if (facing === 0 || left === null) return null;
  let done = c.awaitTrunk;
  if (!done && c.s.direction !== 'out' && c.s.answered && c.lastPartner) {
    const p = state.legs[c.lastPartner];
    const half = p ? localPartner(state, p) : null;
    done = !!p && (p.hungUp || !!half?.hungUp);
  }
  return done ? left : null;
}

/**
 * The earliest action due (the first of equals in call order, then leg order), or null. Runs before
 * every event over every live call and leg, so it builds no list: only a better action is allocated.
 */
function earliest(state: ModelState, opts: Opts): Action | null {
  let best: Action | null = null;
  const better = (at: number) => best === null || at < best.at;
  for (const c of valuesOf(state.calls)) {
    if (c.finalizedAt !== null) {
      const at = c.finalizedAt + opts.retainEndedMs;
      if (better(at)) best = { at, kind: 'prune', call: c };
    } else if (c.emitAt !== null) {
      if (better(c.emitAt)) best = { at: c.emitAt, kind: 'emit', call: c };
    } else {
      const close = closeAt(state, c, opts);
      if (close && better(close.at)) best = { at: close.at, kind: 'close', call: c, endedAt: close.endedAt };
      const at = c.lastEventAt + opts.staleCallMs;
      if (better(at)) best = { at, kind: 'stale', call: c };
    }
  }
  for (const leg of valuesOf(state.legs)) {
    if (leg.held && better(leg.held.until)) best = { at: leg.held.until, kind: 'decide', leg };
    if (leg.call !== null) continue;
    const at = leg.lastAt + (inAnyBridge(leg) ? opts.staleCallMs : opts.retainEndedMs);
    if (better(at)) best = { at, kind: 'orphan', leg: leg.u };
  }
  return best;
}

/** The earliest time at which `runTimers` would change something, or null. */
export function nextActionAt(state: ModelState, opts: Opts): number | null {
  return earliest(state, opts)?.at ?? null;
}

/** Marks the call's end (our clock); `call.ended` follows after the settle time. */
export function markEnding(c: CallRec, endedAt: number, emitAt: number): void {
  if (c.endingAt !== null) return;
  c.endingAt = endedAt;
  c.emitAt = emitAt;
}

/** Applies every due action up to `now`, earliest first. */
export function runTimers(ctx: Ctx, now: number, decide: DecideHeld): void {
  for (;;) {
    const a = earliest(ctx.state, ctx.opts);
    if (!a || a.at > now) return;
    if (a.kind === 'decide') {
      decide(ctx, a.leg);
    } else if (a.kind === 'orphan') {
      delete ctx.state.legs[a.leg];
      keysChanged(ctx.state.legs);
    } else if (a.kind === 'prune') {
      for (const u of a.call.s.legs) if (ctx.state.legs[u]?.call === a.call.s.callId) delete ctx.state.legs[u];
      for (const leg of valuesOf(ctx.state.legs)) if (leg.call === a.call.s.callId) delete ctx.state.legs[leg.u];
      delete ctx.state.calls[a.call.s.callId];
      keysChanged(ctx.state.legs);
      keysChanged(ctx.state.calls);
    } else if (a.kind === 'close') {
      markEnding(a.call, a.endedAt, a.at);
    } else if (a.kind === 'stale') {
      markEnding(a.call, a.call.lastEventAt, a.at);
    } else {
      const c = a.call;
      finishSummary(c, c.endingAt ?? a.at);
      c.finalizedAt = a.at;
      emitEnded(ctx, c);
    }
  }
}
