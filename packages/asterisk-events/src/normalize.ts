import type { CallType, HostEvent, HostEventType } from './types.ts';

const PLACEHOLDERS = new Set(['<unknown>', 'unknown', 'anonymous', '<anonymous>', 'null', 'none']);

/** '' for placeholders (`<unknown>`, `Anonymous`…) and non-strings; trimmed otherwise. */
export function cleanNumber(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const s = String(value).trim();
  return PLACEHOLDERS.has(s.toLowerCase()) ? '' : s;
}

function str(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  return '';
}

/** `SIP/150` and `PJSIP/150-0000001` → `150`; blanks and placeholders dropped; order kept, duplicates removed. */
export function cleanExtensions(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,&]/) : [];
  const out: string[] = [];
  for (const item of list) {
    let s = cleanNumber(item);
    const slash = s.indexOf('/');
    if (slash >= 0) s = s.slice(slash + 1).replace(/-[0-9a-f]{8}$/i, '');
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** CallType as an int whether the host sent 0 or "0"; null when absent or unknown. */
export function parseCallType(value: unknown): CallType | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return n === 0 || n === 1 || n === 2 ? n : null;
}

/**
 * Builds the normalised HostEvent from a stored body. Never throws: the body was validated when it
 * was accepted (validateHostBody), and whatever is missing becomes ''.
 */
export function normalizeHostEvent(
  type: HostEventType,
  body: Record<string, unknown>,
  meta: { seq: number; receivedAt: number },
): HostEvent {
  const n = body.BridgeNumChannels;
  const bridgeNumChannels = n === undefined || n === '' ? null : Number(n);
  return {
    seq: meta.seq,
    type,
    receivedAt: meta.receivedAt,
    uniqueId: str(body.UniqueId),
    callType: parseCallType(body.CallType),
    phone: cleanNumber(body.Phone),
    extensions: cleanExtensions(body.Extensions),
    trunk: str(body.Trunk),
    callStatus: str(body.CallStatus),
    startTime: str(body.StartTime),
    endTime: str(body.EndTime),
    dateReceived: str(body.DateReceived),
    bridgeUniqueId: str(body.BridgeUniqueid),
    channel: str(body.Channel),
    callerIdNum: cleanNumber(body.CallerIDNum),
    callerIdName: cleanNumber(body.CallerIDName),
    connectedLineNum: cleanNumber(body.ConnectedLineNum),
    connectedLineName: cleanNumber(body.ConnectedLineName),
    exten: str(body.Exten),
    context: str(body.Context),
    bridgeNumChannels: Number.isFinite(bridgeNumChannels) ? bridgeNumChannels : null,
    extPhone: cleanNumber(body.ExtPhone),
    extTrunk: str(body.ExtTrunk),
    externalInitiated: body.ExternalInitiated === true || body.ExternalInitiated === 'true',
  };
}
