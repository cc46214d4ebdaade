// The calls in progress and the basic questions about them: which are live, which leg faces the
// client, who the caller of an outgoing call is.
import { type CallRec, type LegRec, valuesOf } from './state.ts';
import type { Ctx } from './effects.ts';
import { hostOrder } from './host-time.ts';

/** The call, if it still takes information (not yet finalized). */
export function liveCall(ctx: Ctx, callId: string | null): CallRec | null {
  const c = callId === null ? undefined : ctx.state.calls[callId];
  return c && c.finalizedAt === null ? c : null;
}

/** Calls still taking information, newest first; with `allowEnding` also those settling after their end. */
export function liveCalls(ctx: Ctx, allowEnding: boolean): CallRec[] {
  return (
    valuesOf(ctx.state.calls)
      .filter((c) => c.finalizedAt === null && (allowEnding || c.endingAt === null))
      // Same arrival ms (a burst): the host's creation order of the calls' first channels decides.
      .sort(
        (a, b) =>
          b.s.startedAt - a.s.startedAt || hostOrder(b.s.callId, a.s.callId) || (a.s.callId < b.s.callId ? 1 : -1),
      )
  );
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
