// The call summary: creation, ringing bookkeeping, and the final fields (result, durations) computed
// once when the call ends.
import type { CallResult, CallSummary, Direction } from './types.ts';
import type { CallRec } from './state.ts';
import { isExtension, isExternal, sameNumber } from './numbers.ts';

export function newSummary(
  callId: string,
  direction: Direction,
  phone: string,
  trunk: string,
  at: number,
): CallSummary {
  return {
    callId,
    kind: direction === 'internal' ? 'internal' : 'customer',
    direction,
    phone,
    trunk,
    ringing: [],
    mobiles: [],
    status: 'ringing',
    answered: false,
    answeredBy: null,
    talkedWith: [],
    result: null,
    startedAt: at,
    answeredAt: null,
    endedAt: null,
    durationSec: null,
    waitSec: null,
    hostStartTime: '',
    hostEndTime: '',
    legs: [],
    mobileLegs: [],
    consultationLegs: [],
    originatedBy: null,
    closedByTimeout: false,
  };
}

/**
 * Adds ringing targets: internal extensions to `ringing`, external numbers to `mobiles`. Returns the
 * extensions that are new (a failover or repeated dial adds none, so it opens no second popup: 1-9, 2-12).
 */
export function addRinging(s: CallSummary, targets: string[]): string[] {
  const added: string[] = [];
  for (const t of targets) {
    if (isExtension(t)) {
      if (!s.ringing.includes(t)) {
        s.ringing.push(t);
        added.push(t);
      }
    } else if (isExternal(t) && !sameNumber(t, s.phone) && !s.mobiles.some((m) => sameNumber(m, t))) {
      s.mobiles.push(t);
    }
  }
  return added;
}

export function addOnce(list: string[], item: string): void {
  if (item && !list.includes(item)) list.push(item);
}

/** JSON copy of the summary for an effect: later changes to the state never leak into emitted effects. */
export function snapshot(s: CallSummary): CallSummary {
  return JSON.parse(JSON.stringify(s)) as CallSummary;
}

/**
 * The CRM result of an ended call. Answered by anyone (an extension, a mobile, before a transfer) is
 * 'answered'. DIALSTATUS "0" folds NOANSWER, BUSY, CONGESTION and CHANUNAVAIL together, so 'busy' cannot
 * be told from the data and is never produced. An outgoing call rejected within a second with "0"
 * (1-10: trunk busy, no failover, StartTime = EndTime) never reached the client: 'failed'. "1"
 * (other/empty DIALSTATUS) on an outgoing call is 'failed' too. Everything else: 'no answer'.
 */
export function resultOf(c: CallRec): CallResult {
  if (c.s.answered) return 'answered';
  if (c.s.direction === 'out') {
    if (c.hangupStatus === '1') return 'failed';
    if (c.hangupStatus === '0' && c.hostSec !== null && c.hostSec <= 1) return 'failed';
  }
  return 'no answer';
}

/** Completes the summary of a call that ends at `endedAt` (our clock). */
export function finishSummary(c: CallRec, endedAt: number): void {
  const s = c.s;
  s.status = 'ended';
  s.endedAt = endedAt;
  s.result = resultOf(c);
  s.closedByTimeout = !c.hangupSeen;
  const answeredAt = s.answered ? Math.min(Math.max(s.answeredAt ?? s.startedAt, s.startedAt), endedAt) : null;
  s.answeredAt = answeredAt;
  s.waitSec = Math.max(0, Math.round(((answeredAt ?? endedAt) - s.startedAt) / 1000));
  s.durationSec = answeredAt === null ? 0 : Math.max(0, Math.round((endedAt - answeredAt) / 1000));
}
