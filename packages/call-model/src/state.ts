// The persisted state of one enterprise's call model: plain JSON (stored as JSONB by call-intake and
// reloaded after restarts), so no Maps, no undefined, no class instances.
import type { CallSummary, HostEvent, ModelOptions } from './types.ts';

/** What a leg (one channel, one UniqueId) is to its call. */
export type LegRole =
  | 'primary' // owns the call's start/dial/hangup: incoming trunk leg, outgoing caller leg, internal caller leg
  | 'trunk' // client side of an outgoing call (`SIP/<trunk>-…`)
  | 'mobile' // FollowMe leg (arrives as an outgoing dial/hangup) and its Local halves
  | 'consultation' // Local `@dialexecute` halves of a transfer and unknown CT=2 hangups of it
  | 'other'; // anything else bridged into the call (the answering extension's SIP leg…)

export interface BridgeStay {
  b: string;
  /** Our clock when the leg joined. */
  at: number;
  /** Our clock when it left; null while inside. */
  left: number | null;
}

export interface LegRec {
  u: string;
  /** callId of the call the leg belongs to; null for a leg not (yet) linked to any call. */
  call: string | null;
  role: LegRole;
  channel: string;
  /** Latest CallerIDNum / ConnectedLineNum seen on this channel. */
  cid: string;
  cl: string;
  /**
   * First ConnectedLineNum seen on this channel: on the client leg of an outgoing call it names the
   * caller before any transfer changes it (a lost dial's caller is recovered from it, 1-2). Absent in
   * states saved before it existed.
   */
  cl0?: string;
  firstAt: number;
  lastAt: number;
  bridges: BridgeStay[];
  hungUp: boolean;
  /**
   * A FollowMe-looking outgoing dial whose incoming call is not known yet (it arrived early, up to 2 s
   * out of order): the number it rang and its Extensions. Linked as soon as the parent shows up.
   */
  pending: { phone: string; exts: string[] } | null;
  /**
   * A new outgoing call whose decision is held back until `until` (the dial's arrival + settleMs): a
   * FollowMe leg of a transfer looks exactly like its manager's own outgoing call until the evidence
   * that the manager is talking with a client (possibly still in flight) arrives. Holds the leg's
   * start/dial/hangup events so far; they are applied in order once decided. Absent in older states.
   */
  held?: { events: HostEvent[]; until: number } | null;
  /** Fingerprints of the events seen on this UniqueId: exact duplicates are dropped. */
  fp: string[];
}

export interface CallRec {
  /** The summary as built so far; status/result/durations are completed when the call ends. */
  s: CallSummary;
  /** The leg whose hangup is the call's own hangup. */
  primary: string;
  lastEventAt: number;
  /** The call's own hangup (primary leg, or a trunk leg of an outgoing call) was seen. */
  hangupSeen: boolean;
  hangupStatus: string;
  /** Host-local duration of the final hangup (EndTime − StartTime, s) or null. */
  hostSec: number | null;
  /**
   * Host clock (epoch s) of the call's end from its own hangup's EndTime (host-time.ts); null until
   * that hangup arrived. Absent in states saved before it existed.
   */
  hostEnd?: number | null;
  /** Our clock when the latest customer-facing bridge pair formed (first bridge otherwise). */
  firstBridgeAt: number | null;
  /** ConnectedLineNum of the customer-facing leg's latest bridge event (answer fallback, 2-13). */
  bridgeConnectedLine: string;
  /** The leg that last talked with the customer-facing leg. */
  lastPartner: string | null;
  /** Outgoing call whose caller hung up while the client leg was still bridged (1-4): end when it leaves. */
  awaitTrunk: boolean;
  /** When the end was decided (our clock); the summary's endedAt. */
  endingAt: number | null;
  /** When `call.ended` is (to be) emitted. */
  emitAt: number | null;
  finalizedAt: number | null;
  ringingEffects: number;
  answeredEmitted: boolean;
}

/** One enterprise's call model state (JSON round-trip safe). */
export interface ModelState {
  v: 1;
  calls: Record<string, CallRec>;
  legs: Record<string, LegRec>;
}

export function emptyModelState(): ModelState {
  return { v: 1, calls: {}, legs: {} };
}

/** Options with defaults filled in. */
export interface Opts {
  retainEndedMs: number;
  closeWithoutHangupMs: number;
  staleCallMs: number;
  settleMs: number;
  originates: NonNullable<ModelOptions['originates']> | null;
  managerMobile: NonNullable<ModelOptions['managerMobile']> | null;
}

export function withDefaults(o: ModelOptions = {}): Opts {
  return {
    retainEndedMs: o.retainEndedMs ?? 10 * 60_000,
    closeWithoutHangupMs: o.closeWithoutHangupMs ?? 5_000,
    staleCallMs: o.staleCallMs ?? 4 * 3_600_000,
    settleMs: o.settleMs ?? 2_000,
    originates: o.originates ?? null,
    managerMobile: o.managerMobile ?? null,
  };
}

const valuesCache = new WeakMap<object, unknown[]>();

/**
 * Object.values of a state's `calls` or `legs`, kept until a key is added or removed (`keysChanged`).
 * The model scans every live call and leg after each event (timers, unlinked and held legs); on a
 * dictionary of 2,000 entries Object.values costs ~0.2 ms, a cached array nothing. The records in the
 * array are the state's own (mutated in place), so only adding or removing a key makes it stale.
 */
export function valuesOf<T>(rec: Record<string, T>): readonly T[] {
  let v = valuesCache.get(rec) as T[] | undefined;
  if (!v) {
    v = Object.values(rec);
    valuesCache.set(rec, v);
  }
  return v;
}

/** Must follow every key added to or deleted from a state's `calls` or `legs` (see valuesOf). */
export function keysChanged(rec: object): void {
  valuesCache.delete(rec);
}
