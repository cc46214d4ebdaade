// A failed post → the host event the live path would have stored, checked by the same rules
// (services/call-intake/src/routes/host-events.ts: JSON object body, token, validateHostBody, the
// idempotency key over type + canonical body). Pure.
import {
  eventIdempotencyKey,
  extractToken,
  isHostEventType,
  validateHostBody,
  type HostEventType,
} from '@fleet/asterisk-events';
import type { FailedPost } from './log-rows.ts';
import { hostTimeToUtc } from './local-time.ts';

export interface RecoveredEvent {
  type: HostEventType;
  uniqueId: string;
  idempotencyKey: string;
  body: Record<string, unknown>;
  /** When the host made the post (its local DateTime in the enterprise's zone), epoch ms. */
  receivedAt: number;
}

export type Conversion = { ok: true; event: RecoveredEvent } | { ok: false; reason: string };

/**
 * `enterpriseToken` is the enterprise's host token: a body carrying another one belongs to another
 * tenant and is refused (a body without one is the host's own, as the live path accepts a header).
 * `fallbackMs` stands in for an unreadable DateTime: an event is worth more than its timestamp.
 */
export function toRecoveredEvent(
  post: FailedPost,
  ctx: { timeZone: string; enterpriseToken: string; fallbackMs: number },
): Conversion {
  // The logged event may be a bare name or the URL path it was posted to.
  const type = post.event.trim().toLowerCase().replace(/^.*\//, '');
  if (!isHostEventType(type)) return { ok: false, reason: `unknown event ${JSON.stringify(post.event.slice(0, 40))}` };
  let body: unknown;
  try {
    body = JSON.parse(post.request.replace(/^\uFEFF/, ''));
  } catch {
    return { ok: false, reason: 'request is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, reason: 'request is not a JSON object' };
  const b = body as Record<string, unknown>;
  const token = extractToken(b, undefined);
  if (token !== null && token !== ctx.enterpriseToken) return { ok: false, reason: 'token of another enterprise' };
  const valid = validateHostBody(type, b);
  if (!valid.ok) return { ok: false, reason: valid.reason };
  return {
    ok: true,
    event: {
      type,
      uniqueId: typeof b.UniqueId === 'string' ? b.UniqueId : String(b.UniqueId ?? ''),
      idempotencyKey: eventIdempotencyKey(type, b),
      body: b,
      receivedAt: hostTimeToUtc(post.dateTime, ctx.timeZone) ?? ctx.fallbackMs,
    },
  };
}
