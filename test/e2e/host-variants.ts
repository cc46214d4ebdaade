// Retransmissions of an event that are the same event by the host contract but not the same bytes
// (/work/shared/domain/asterisk-events.md, "Transport" and "Bodies"):
//   - the token is sent twice, header `Token` (sometimes in double quotes) and body `Token`; call-intake
//     prefers the body and falls back to the header, so a body without `Token` and the token in the
//     header only names the same host;
//   - `CallType` is an integer on current hosts and a string ("0") on older ones: accept both;
//   - the body is JSON whatever the Content-Type says (application/json, x-www-form-urlencoded, none);
//   - JSON key order and whitespace carry nothing.
// The first two change the canonical body, so call_events' idempotency key (sha256 of type + canonical
// JSON) differs: such a retransmission passes ingestion and must be recognised deeper (the call model,
// the outbox and gateway keys, the retailcrm steps). Every variant here changes at least one of them.
import { request } from 'node:http';
import type { ScenarioEvent } from '@fleet/cli';
import type { Rng } from '../support/rng.ts';

export interface HostPost {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded', null] as const;

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A same-event retransmission of `event` by the host with `token` (see the header for what varies). */
export function retransmission(event: ScenarioEvent, token: string, rng: Rng): HostPost {
  const body: Record<string, unknown> = { ...event.body, Token: token };
  const hasCallType = body.CallType !== undefined && body.CallType !== '';
  // At least one change the idempotency key sees: without a CallType, the token must move.
  const flipCallType = hasCallType && rng.chance(0.6);
  const headerOnly = !flipCallType || rng.chance(0.5);
  if (flipCallType) body.CallType = typeof body.CallType === 'number' ? String(body.CallType) : Number(body.CallType);
  if (headerOnly) delete body.Token;
  const reordered = Object.fromEntries(shuffled(Object.entries(body), rng));
  const contentType = rng.pick(CONTENT_TYPES);
  return {
    path: `/${event.event}`,
    headers: {
      token: rng.chance(0.5) ? `"${token}"` : token,
      ...(contentType ? { 'content-type': contentType } : {}),
    },
    body: JSON.stringify(reordered, null, rng.chance(0.5) ? 2 : undefined),
  };
}

/** JSON with keys sorted at every depth: equal for bodies that differ only in key order and spacing. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The event type and byte-independent body of `p`: two posts with the same key are one exact retransmission. */
export const sameEventKey = (p: HostPost): string => `${p.path} ${sortedJson(JSON.parse(p.body))}`;

/** POSTs `p` to call-intake; resolves with the status code (0 when no answer came). */
export function post(intakeUrl: string, p: HostPost): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      new URL(p.path, intakeUrl),
      { method: 'POST', headers: { ...p.headers, 'content-length': String(Buffer.byteLength(p.body)) }, timeout: 3000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(p.body);
  });
}

/** The request an Asterisk host sends for `event` as it is (header and body token, application/json). */
export const asSent = (event: ScenarioEvent, token: string): HostPost => ({
  path: `/${event.event}`,
  headers: { 'content-type': 'application/json', token },
  body: JSON.stringify({ ...event.body, Token: token }),
});

/**
 * Posts `events` as their host would, each followed by a same-event retransmission in other bytes,
 * at once (70 %) or after 1–3 more events, as a host's recovery job re-sends: what the call model must
 * recognise in a live call. Waits `delays[i]` ms before event i.
 * @returns when each original event was sent and answered, and every status (originals and copies).
 */
export async function postWithRetransmissions(
  intakeUrl: string,
  events: readonly ScenarioEvent[],
  token: string,
  rng: Rng,
  delays: readonly number[] = [],
): Promise<{ posted: Array<{ sentAt: number; doneAt: number }>; statuses: number[] }> {
  const posted: Array<{ sentAt: number; doneAt: number }> = [];
  const statuses: number[] = [];
  /** Retransmissions waiting for their turn: [after event index, post]. */
  const later: Array<[number, HostPost]> = [];
  for (const [i, e] of events.entries()) {
    if (delays[i]) await new Promise((r) => setTimeout(r, delays[i]));
    const sentAt = Date.now();
    statuses.push(await post(intakeUrl, asSent(e, token)));
    posted.push({ sentAt, doneAt: Date.now() });
    later.push([rng.chance(0.7) ? i : i + rng.int(1, 3), retransmission(e, token, rng)]);
    for (const due of later.filter(([at]) => at <= i)) statuses.push(await post(intakeUrl, due[1]));
    later.splice(0, later.length, ...later.filter(([at]) => at > i));
  }
  for (const [, p] of later) statuses.push(await post(intakeUrl, p));
  return { posted, statuses };
}
