// Where a customer call's answer is in its recorded events, read from the bridges alone (not from the
// call model, which the end-to-end test checks): what the history record's duration and waiting time
// must be consistent with.
import type { ScenarioEvent } from '@fleet/cli';

/** A trunk channel (`SIP/0001363-0000001c`): a GSM trunk id is 7 digits (asterisk-events.md). */
const TRUNK_CHANNEL = /^(?:SIP|PJSIP)\/\d{7}-/;

export interface AnswerWindow {
  /** Index of the call's first event (its UniqueId's first appearance): the call's start. */
  start: number;
  /**
   * The answer pair: the two `bridge` events that put a client-facing leg and another leg in one
   * bridge (`first` ≤ `second`). Asterisk posts them back to back, so either instant is "the answer".
   * When no bridge ever pairs them (1-2, 2-13: answered per DIALSTATUS only), both are the client
   * leg's first bridge, the only moment the events give.
   */
  first: number;
  second: number;
}

/**
 * The client-facing legs of a call: its own UniqueId (an incoming call's trunk channel, an outgoing
 * call's manager channel) and, for an outgoing call, the trunk channels it dialled out on.
 */
function clientFacing(events: readonly ScenarioEvent[], callId: string, direction: string): Set<string> {
  const legs = new Set([callId]);
  if (direction !== 'out') return legs;
  const startAt = events.findIndex((e) => e.body.UniqueId === callId);
  for (const e of events.slice(Math.max(0, startAt))) {
    const id = String(e.body.UniqueId ?? '');
    if (id && TRUNK_CHANNEL.test(String(e.body.Channel ?? ''))) legs.add(id);
  }
  return legs;
}

/**
 * The start and answer pair of an answered customer call in `events` (null when `callId` has no
 * event). Bridges are followed through `bridge`/`bridge_leave` (BridgeUniqueid, UniqueId).
 */
export function answerWindow(events: readonly ScenarioEvent[], callId: string, direction: string): AnswerWindow | null {
  const start = events.findIndex((e) => e.body.UniqueId === callId);
  if (start < 0) return null;
  const facing = clientFacing(events, callId, direction);
  /** bridge id → UniqueId → index of its join. */
  const members = new Map<string, Map<string, number>>();
  let firstFacingBridge = -1;
  for (const [i, e] of events.entries()) {
    const bridge = String(e.body.BridgeUniqueid ?? '');
    const id = String(e.body.UniqueId ?? '');
    if (!bridge || !id) continue;
    if (e.event === 'bridge_leave') members.get(bridge)?.delete(id);
    if (e.event !== 'bridge') continue;
    const m = members.get(bridge) ?? new Map<string, number>();
    members.set(bridge, m);
    if (!m.has(id)) m.set(id, i);
    if (facing.has(id) && firstFacingBridge < 0) firstFacingBridge = i;
    // The pair is complete once a client-facing leg and any other leg share this bridge.
    const ids = [...m.keys()];
    const client = ids.find((u) => facing.has(u));
    const other = ids.find((u) => u !== client);
    if (client !== undefined && other !== undefined) {
      return { start, first: Math.min(m.get(client)!, m.get(other)!), second: i };
    }
  }
  return firstFacingBridge < 0 ? null : { start, first: firstFacingBridge, second: firstFacingBridge };
}
