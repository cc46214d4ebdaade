// The host's own clock, where its events carry it: a UniqueId is `<epoch seconds>.<counter>` of the
// channel's creation on the Asterisk host, and a hangup carries DateReceived/StartTime/EndTime in the
// host's local time (no zone: shared/domain/asterisk-events.md). Our arrival time says nothing about
// when things happened once events arrive in a burst (the outage journal drains minutes of calls at
// once, the recovery job re-sends a day of posts: issue 13), so decisions about which call a channel
// belongs to compare host times wherever both sides have them; arrival time is kept for timers.
import type { HostEvent } from './types.ts';
import type { CallRec, ModelState } from './state.ts';
import { hostSeconds } from './numbers.ts';
import { closeReady } from './timers.ts';

/** Host epoch second at which the channel of a UniqueId was created, or null for another shape. */
export function bornAt(uid: string): number | null {
  const m = /^(\d{9,11})\.\d+$/.exec(uid);
  return m ? Number(m[1]) : null;
}

/**
 * Host creation order of two UniqueIds (epoch, then the host's channel counter); 0 when unknown or
 * equal. The counter restarts with Asterisk, so it only breaks ties within one second.
 */
export function hostOrder(a: string, b: string): number {
  const x = /^(\d{9,11})\.(\d+)$/.exec(a);
  const y = /^(\d{9,11})\.(\d+)$/.exec(b);
  if (!x || !y) return 0;
  return Number(x[1]) - Number(y[1]) || Number(x[2]) - Number(y[2]);
}

/**
 * The end of a hangup's channel on the host, as an epoch second: EndTime, converted from the host's
 * local time by the zone offset that DateReceived shows against the UniqueId's epoch (rounded to a
 * quarter hour: the corpus is UTC+3, DateReceived lags the epoch by up to a minute). Null without
 * those fields (consultation hangups carry no StartTime, lost fields, another UniqueId shape).
 */
export function hostEndOf(ev: HostEvent): number | null {
  const born = bornAt(ev.uniqueId);
  const received = hostSeconds(ev.dateReceived);
  const end = hostSeconds(ev.endTime);
  if (born === null || received === null || end === null) return null;
  const zone = Math.round((received - born) / 900) * 900;
  return Math.abs(zone) <= 14 * 3600 ? end - zone : null; // no real zone: the times are not the host's
}

/**
 * When the call was over on the host (epoch s), once its own hangup arrived: the hangup's EndTime,
 * and never before any of its channels was created (the corpus's incoming hangups often say
 * EndTime = DateReceived). A call that sends no final hangup (2-5, 2-14, 2-17, 2-28) is over once
 * its client left the last bridge and its last partner hung up (timers.ts closeReady: the model only
 * waits closeWithoutHangupMs for late events): then at its newest channel's creation. Null while
 * the call may go on.
 */
export function callHostEnd(state: ModelState, c: CallRec): number | null {
  let end: number;
  if (c.hostEnd !== undefined && c.hostEnd !== null) end = c.hostEnd;
  else if (c.endingAt !== null || closeReady(state, c) !== null)
    end = 0; // no hangup will come (2-5, 2-28): its channels say when
  else return null;
  for (const u of c.s.legs) {
    const b = state.legs[u] ? bornAt(u) : null;
    if (b !== null && b > end) end = b;
  }
  return end;
}

/**
 * The channel `uid` was created on the host after call `c` was over: it cannot be a leg of it (a
 * manager's next call, however fast its events follow). A later second; or the very second of the
 * call's end when the channel is also newer (host counter) than every channel of the call — a
 * transfer leg created in the call's last second and arriving after its hangup is the rarer case
 * (README "Known limits").
 */
export function bornAfter(state: ModelState, c: CallRec, uid: string): boolean {
  const born = bornAt(uid);
  const end = born === null ? null : callHostEnd(state, c);
  if (born === null || end === null) return false;
  if (born !== end) return born > end;
  return c.s.legs.every((u) => u !== uid && hostOrder(uid, u) > 0);
}
