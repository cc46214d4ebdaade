// The call model's public shapes. The model is pure: (state, event) → (state, effects). The state is
// plain JSON, persisted per enterprise in call_model_state by call-intake, so a restart between any two
// events gives the same outcome as no restart.
import type { HostEvent } from '@fleet/asterisk-events';

export type { HostEvent };

export type Direction = 'in' | 'out' | 'internal';

/** Results as RetailCRM's calls/upload accepts them (never "missed"; see shared/domain/retailcrm.md). */
export type CallResult = 'answered' | 'no answer' | 'busy' | 'failed';

export type CallStatus = 'ringing' | 'talking' | 'ended';

/** A call as people and the CRM see it: what call-intake forwards and what Telegram renders. */
export interface CallSummary {
  /** UniqueId of the call's first customer-facing channel (start/dial). Names the call everywhere. */
  callId: string;
  /** customer: has a client on a trunk (goes to the CRM); internal: extension to extension. */
  kind: 'customer' | 'internal';
  direction: Direction;
  /** Client number as the host sent it (digits, maybe '+'); '' when unknown. For internal: the caller extension. */
  phone: string;
  /** Trunk (line) id of the customer leg; '' for internal calls. */
  trunk: string;
  /** Internal extensions that rang, in the order they started ringing. */
  ringing: string[];
  /** External (mobile/FollowMe) numbers that rang for this call. */
  mobiles: string[];
  status: CallStatus;
  answered: boolean;
  /** The manager the history record names (extension), or a mobile number when only a mobile answered. */
  answeredBy: string | null;
  /** Every extension or mobile that talked to the client, in order. */
  talkedWith: string[];
  /** Set once ended. */
  result: CallResult | null;
  /** ms since epoch, our clock. */
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  /** Talk seconds (answer → end), 0 when not answered; set once ended. */
  durationSec: number | null;
  /** Ring seconds (start → answer or end). */
  waitSec: number | null;
  /** Host-local timestamps from the final hangup, for display only. */
  hostStartTime: string;
  hostEndTime: string;
  /** Every UniqueId linked to this call, and those that are mobile (FollowMe) or consultation legs. */
  legs: string[];
  mobileLegs: string[];
  consultationLegs: string[];
  /** Set when the fleet itself originated the call (click-to-call), from our originate records. */
  originatedBy: OriginateMatch | null;
  /** True when the call was closed by a timeout rather than by its final hangup. */
  closedByTimeout: boolean;
}

/**
 * What call-intake and the integrations act on. `key` is unique within a call and stable across
 * replays and restarts: it is the idempotency key of the side effect (outbox dedup).
 */
export type CallEffect =
  | { type: 'call.started'; key: string; call: CallSummary }
  | { type: 'call.ringing'; key: string; call: CallSummary; newExtensions: string[] }
  | { type: 'call.answered'; key: string; call: CallSummary }
  | { type: 'call.ended'; key: string; call: CallSummary };

/** An originate the fleet performed (click-to-call), as recorded by services/asterisk. */
export interface OriginateMatch {
  originateId: string;
  extension: string;
  phone: string;
  requestedBy: string;
}

/** The seam where originate records are matched (issue 6 fills it); the default matches nothing. */
export type OriginateLookup = (q: { extension: string; phone: string; at: number }) => OriginateMatch | null;

export interface ModelOptions {
  /** How long an ended call is remembered so that late events never reopen it (ms, default 10 min). */
  retainEndedMs?: number;
  /** Grace after the customer leg left its last bridge before the call is closed without a hangup (ms). */
  closeWithoutHangupMs?: number;
  /** A call with no event for this long is closed by timeout (ms, default 4 h). */
  staleCallMs?: number;
  /**
   * How long `call.ended` waits after the final hangup so that events of other UniqueIds arriving up
   * to this late (consultation hangups, bridges) still land in the summary (ms, default 2000).
   */
  settleMs?: number;
  originates?: OriginateLookup;
  /**
   * True for a manager's mobile the operator mapped (`fleet extension add --mobile`,
   * extension_directory.mobile, compared with digits()). An outgoing dial to it while a customer call
   * is going on is that call's FollowMe leg at once, never held (issue 13). Default: none mapped.
   */
  managerMobile?: (phone: string) => boolean;
  /**
   * Apply to the given state object instead of a copy (default false: the caller's state is never
   * touched). For a caller that owns its state and can rebuild it when the model throws midway
   * (call-intake keeps each enterprise's state in memory between batches): it spares a copy of every
   * live call per batch, the cost that grew with the enterprise's live calls (issue 12).
   */
  inPlace?: boolean;
}
