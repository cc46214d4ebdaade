// What a start/dial/hangup of a UniqueId not yet linked to any call means. Classification uses all
// evidence (the other calls in progress, who is talking, which mobiles ring), not the CallType alone.
import type { HostEvent } from './types.ts';
import { type CallRec, type LegRole, valuesOf } from './state.ts';
import type { Ctx } from './effects.ts';
import { engagedCall, mobileCall } from './engaged.ts';
import { isExtension, isExternal, sameNumber } from './numbers.ts';
import type { Direction } from './types.ts';

export type Decision =
  | { kind: 'new'; direction: Direction; phone: string; ringing: string[] }
  | { kind: 'attach'; call: CallRec; role: LegRole }
  /** A leftover of a call that already ended: indexed, never a new call (1-7's late client-side hangup). */
  | { kind: 'late'; callId: string };

export function classify(ctx: Ctx, ev: HostEvent): Decision {
  const hang = ev.type === 'hangup';
  const p = ev.phone;
  const exts = ev.extensions.filter(isExtension);
  if (ev.type === 'start') return { kind: 'new', direction: 'in', phone: p, ringing: [] };
  if (ev.callType === 0) {
    // 3-3: a department call arrives with CallType 0 but no trunk and an extension as Phone.
    if (ev.trunk || !isExtension(p)) return { kind: 'new', direction: 'in', phone: p, ringing: ev.extensions };
    return { kind: 'new', direction: 'internal', phone: p, ringing: ev.extensions };
  }
  if (ev.callType === 1 && !isExtension(p)) {
    // A FollowMe leg is an outgoing dial to the mobile, Extensions = [the client] (2-5) …
    const follow = isExternal(p) ? mobileCall(ctx, p, ev.extensions, hang, false, ev.uniqueId) : null;
    if (follow) return { kind: 'attach', call: follow, role: 'mobile' };
    // … or, in a transfer to a FollowMe number, Extensions = [the transferring manager] (2-23, 2-26).
    const engaged = exts.map((e) => engagedCall(ctx, e, hang, ev.receivedAt, ev.uniqueId)).find((c) => c !== null);
    if (engaged) return { kind: 'attach', call: engaged, role: 'mobile' };
    return { kind: 'new', direction: 'out', phone: p, ringing: ev.extensions };
  }
  // Internal (CallType 2, or 1 to an extension). A dial names the caller in Extensions and the callee
  // as Phone (contract); the hangups of the corpus (3-1…3-4, consultations) name the caller as Phone.
  const caller = hang || ev.callType !== 2 ? p : (exts[0] ?? '');
  const callee = hang || ev.callType !== 2 ? ev.extensions : [p];
  if (isExtension(caller)) {
    // A consultation leg: the extension talking with a client calls someone (1-5's hangup of an unseen leg).
    const engaged = engagedCall(ctx, caller, hang, ev.receivedAt, ev.uniqueId);
    if (engaged) return { kind: 'attach', call: engaged, role: 'consultation' };
    return { kind: 'new', direction: 'internal', phone: caller, ringing: callee };
  }
  if (isExternal(p)) {
    // The client's side after a transfer hangs up with CallType 2 (1-6, 1-7, 2-19): part of that call.
    const same = valuesOf(ctx.state.calls)
      .filter((c) => c.s.kind === 'customer' && sameNumber(c.s.phone, p))
      .sort((a, b) => b.s.startedAt - a.s.startedAt)[0];
    if (same)
      return same.finalizedAt === null
        ? { kind: 'attach', call: same, role: 'other' }
        : { kind: 'late', callId: same.s.callId };
    return { kind: 'new', direction: 'in', phone: p, ringing: ev.extensions };
  }
  return { kind: 'new', direction: ev.trunk ? 'in' : 'internal', phone: p, ringing: ev.extensions };
}
