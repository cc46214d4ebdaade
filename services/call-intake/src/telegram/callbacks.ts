// The callback of a missed call on its Telegram final (issue 14 item 2), decided in the call processor's
// transaction with the call's other effects (sink.ts), so it happens exactly once whatever the replays
// and kills: each missed final carries its client's national significant number (missed_key, sql/150);
// the first later answered customer call with that number writes `callback` on every such final of the
// enterprise in every chat and queues the card again; the card worker edits the message (worker.ts).
import type { Sql } from '@fleet/db';
import type { CallSummary } from '@fleet/call-model';
import type { CallbackInfo, CardStage } from '@fleet/telegram-render';
import { nationalNumber } from '@fleet/validate/national-number';

/**
 * How long after a missed call a callback still amends its final (ms). Within the cards' retention
 * (RETENTION_TELEGRAM_CARDS_DAYS, 7 by default); Telegram lets a bot edit its messages for 48 h, later
 * edits fail and count as done (worker.ts), so an old final is simply left as it is.
 */
export const CALLBACK_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** The client's number as compared (nationalNumber, ≥ 6 digits: short codes never match), or null. */
function keyOf(call: CallSummary): string | null {
  if (call.kind !== 'customer') return null;
  const key = nationalNumber(call.phone);
  return key.length >= 6 && key.length <= 20 ? key : null;
}

/**
 * The key a card row is found by when a callback comes: only the final of a missed incoming customer
 * call (the fleet's "missed call", as services/retailcrm's tasks: an unanswered outgoing call is ours to
 * repeat, nobody waits for a callback).
 */
export function missedKeyOf(stage: CardStage, call: CallSummary): string | null {
  return stage === 'final' && call.direction === 'in' && !call.answered ? keyOf(call) : null;
}

/** What a missed final will say about `call`, when it is a customer call that reached the client. */
export function callbackOf(call: CallSummary): (CallbackInfo & { key: string }) | null {
  const key = keyOf(call);
  if (!key || !call.answered || call.answeredAt === null) return null;
  const by = call.answeredBy ?? call.talkedWith[0] ?? (call.direction === 'out' ? call.ringing[0] : undefined) ?? null;
  return { key, callId: call.callId, direction: call.direction === 'out' ? 'out' : 'in', by, at: call.answeredAt };
}

/**
 * Marks the missed finals of the enterprise that `calls` (a batch's latest summaries) called back: one
 * statement, nothing when no call of the batch reached a client. Only a final not yet marked, of a call
 * that ended before the callback was answered and at most CALLBACK_WINDOW_MS earlier; the earliest
 * callback of a number in the batch wins, and a later one finds the finals marked (callback is not
 * null), so only the first callback amends them. A dead card (bot gone, chat blocked) stays dead.
 */
export async function markCallbacks(tx: Sql, enterprise: string, calls: Iterable<CallSummary>): Promise<void> {
  const first = new Map<string, CallbackInfo & { key: string }>();
  for (const call of calls) {
    const cb = callbackOf(call);
    const seen = cb && first.get(cb.key);
    if (cb && (!seen || cb.at < seen.at)) first.set(cb.key, cb);
  }
  if (!first.size) return;
  const rows = [...first.values()].map(({ key, ...cb }) => ({ key, at: cb.at, cb }));
  await tx`
    update telegram_cards t set
      callback = c.cb, version = t.version + 1, status = 'pending', updated_at = now(),
      queued_at = case when t.status = 'pending' then t.queued_at else now() end
    from jsonb_to_recordset(${tx.json(rows as never)}) as c(key text, at bigint, cb jsonb)
    where t.enterprise = ${enterprise} and t.missed_key = c.key and t.callback is null
      and t.stage = 'final' and t.status <> 'dead'
      and coalesce((t.call->>'endedAt')::bigint, (t.call->>'startedAt')::bigint) <= c.at
      and coalesce((t.call->>'endedAt')::bigint, (t.call->>'startedAt')::bigint) >= c.at - ${CALLBACK_WINDOW_MS}::bigint`;
}
