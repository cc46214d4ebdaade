// Fills the call model's originate seam (ModelOptions.originates) from the originates table that
// services/asterisk writes: a new outgoing call of extension E to number N is ours when E asked for
// N shortly before. The lookup is built per processing transaction from the enterprise's recent
// records, so the model stays pure and synchronous.
import type { Sql } from '@fleet/db';
import type { OriginateLookup, OriginateMatch } from '@fleet/call-model';
import type { AppliedEffect } from './apply.ts';

/** An originate's call shows up within this after the request (the manager must pick up first). */
export const ORIGINATE_MATCH_WINDOW_MS = 120_000;
/** Clocks: the event's receivedAt may precede the record's created_at by a little. */
const EARLY_MS = 5_000;

export interface OriginateRecord {
  correlation_id: string;
  extension: string;
  phone: string;
  requested_by: string;
  created_at: Date;
}

const digits = (s: string) => s.replace(/\D/g, '');
/** Same number whatever the prefix style (+375…, 375…, 8 0…): compare the last 9 digits. */
const sameNumber = (a: string, b: string) => {
  const x = digits(a);
  const y = digits(b);
  return x.length >= 7 && y.length >= 7 && x.slice(-9) === y.slice(-9);
};

/**
 * The pure lookup over `records` (one enterprise's: the host is the enterprise's): the newest matching
 * request at or before the call wins. Issue 15.2: hosts may send a click's outbound dial with
 * `Extensions [""]`, `["SIP/151"]` (normalised to 151), or name the extension only in CallerIDNum or
 * the channel (`Local/151@web-originate-…;2`), which the model passes when Extensions has none. So
 * an extension that is known must be the record's; an unknown one ('') matches on number + window
 * alone: the record then names the manager.
 */
export function originateLookup(records: readonly OriginateRecord[]): OriginateLookup {
  return ({ extension, phone, at }) => {
    let best: OriginateRecord | undefined;
    let bestScore = Infinity;
    for (const r of records) {
      const t = r.created_at.getTime();
      if ((extension !== '' && r.extension !== extension) || !sameNumber(r.phone, phone)) continue;
      if (at < t - EARLY_MS || at > t + ORIGINATE_MATCH_WINDOW_MS) continue;
      // The newest request at or before the call; one stamped just after it only when none is.
      const score = t <= at ? at - t : ORIGINATE_MATCH_WINDOW_MS + (t - at);
      if (score < bestScore) [best, bestScore] = [r, score];
    }
    return best
      ? ({
          originateId: best.correlation_id,
          extension: best.extension,
          phone: best.phone,
          requestedBy: best.requested_by,
        } satisfies OriginateMatch)
      : null;
  };
}

/** The enterprise's originates that a call among `oldestEventAt` and later events could belong to (a replay). */
export async function loadOriginateLookup(
  tx: Sql,
  enterprise: string,
  oldestEventAt: Date | undefined,
): Promise<OriginateLookup> {
  const since = new Date(Math.min(oldestEventAt?.getTime() ?? Date.now(), Date.now()) - ORIGINATE_MATCH_WINDOW_MS);
  const rows = await tx<OriginateRecord[]>`
    select correlation_id, extension, phone, requested_by, created_at from originates
    where enterprise = ${enterprise} and created_at >= ${since} and status <> 'failed'
    order by created_at desc limit 500`;
  return originateLookup(rows);
}

/**
 * The same for the batch about to be read: its oldest event is the enterprise's first unprocessed one
 * (by id; the caller holds the enterprise's lock, so no other instance processes it meanwhile). Needs
 * no events in hand, so it can be sent together with the batch's own read (one round trip, not two).
 */
export async function loadOriginateLookupForBatch(tx: Sql, enterprise: string): Promise<OriginateLookup> {
  const window = ORIGINATE_MATCH_WINDOW_MS / 1000;
  const rows = await tx<OriginateRecord[]>`
    select correlation_id, extension, phone, requested_by, created_at from originates
    where enterprise = ${enterprise} and status <> 'failed'
      and created_at >= least(now(), coalesce((select received_at from call_events
            where enterprise = ${enterprise} and processed_at is null order by id limit 1), now()))
          - make_interval(secs => ${window})
    order by created_at desc limit 500`;
  return originateLookup(rows);
}

/** The call's events arrived: that confirms the originate (issue 6), in the same transaction. */
export async function confirmMatchedOriginates(tx: Sql, effects: readonly AppliedEffect[]): Promise<void> {
  const ids = [
    ...new Set(effects.map((e) => e.effect.call.originatedBy?.originateId).filter((x): x is string => Boolean(x))),
  ];
  if (!ids.length) return;
  await tx`update originates set status = 'confirmed', confirmed_at = now(), updated_at = now()
           where correlation_id = any(${ids}::text[]) and status <> 'confirmed'`;
}
