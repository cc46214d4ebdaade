/** The event paths hosts POST to (`POST /<event>`), see shared/domain/asterisk-events.md. */
export const HOST_EVENT_TYPES = [
  'start',
  'dial',
  'bridge',
  'hangup',
  'bridge_create',
  'bridge_leave',
  'bridge_destroy',
  'new_callerid',
] as const;

export type HostEventType = (typeof HOST_EVENT_TYPES)[number];

/** Asterisk CallType as hosts send it: 0 incoming, 1 outgoing, 2 internal. */
export type CallType = 0 | 1 | 2;

/**
 * One host event after normalisation: every field present, strings trimmed, placeholders
 * (`<unknown>`, `Anonymous`) turned into '', `Extensions` cleaned. This is what the call model reads.
 */
export interface HostEvent {
  /** Our arrival order (call_events.id): strictly increasing per enterprise. */
  seq: number;
  type: HostEventType;
  /** Our clock when the event was accepted, ms since the epoch (host clocks are local and coarse). */
  receivedAt: number;
  /** Channel UniqueId ('' on bridge_create/bridge_destroy). */
  uniqueId: string;
  callType: CallType | null;
  /** Phone as sent, placeholders removed ('' when unknown). */
  phone: string;
  /** Ringing targets: internal extensions, mobile numbers; `SIP/150` → `150`, blanks dropped. */
  extensions: string[];
  trunk: string;
  /** DIALSTATUS class: "2" answered, "0" not answered, "1" other, "5" talk; '' when absent. */
  callStatus: string;
  /** Host-local `YYYY-MM-DD HH:MM:SS` strings, '' when absent. */
  startTime: string;
  endTime: string;
  dateReceived: string;
  bridgeUniqueId: string;
  channel: string;
  callerIdNum: string;
  callerIdName: string;
  connectedLineNum: string;
  connectedLineName: string;
  exten: string;
  context: string;
  bridgeNumChannels: number | null;
  extPhone: string;
  extTrunk: string;
  /** Informational only: hosts leak this flag into unrelated calls, never trust it. */
  externalInitiated: boolean;
}
