// The CRM's view of one replayed corpus scenario against its expected outcome
// (packages/call-model/test/expected-outcomes.json through the harness): one history record with the
// right fields and times, a popup for every ringing extension exactly once, one hangup event, nothing
// for internal calls, mobile legs and consultation legs. Returns the failures as sentences, so a run
// reports every scenario that went wrong, not only the first.
import type { ScenarioEvent } from '@fleet/cli';
import type { RetailCrmFake } from '@fleet/retailcrm-fake';
import { answerWindow } from './answer-window.ts';
import { observed, popupCounts, popupsByExtension } from './crm-view.ts';
import { EXPECTED, recordUrlFor } from './harness.ts';
import { crmDateSeconds, timingBounds, type Posted } from './history-timing.ts';

const isExtension = (s: string | null) => !!s && /^\d{2,5}$/.test(s);

/** One replay of a scenario: what was posted (renamed ids), and when. */
export interface Replayed {
  code: string;
  enterprise: string;
  /** Maps the recording's UniqueIds to the replayed ones (identity when replayed as recorded). */
  rename: (id: string) => string;
  events: ScenarioEvent[];
  /** When each of `events` was posted, in order. */
  posted: Posted[];
  /** The enterprise's fixed UTC offset (`+05:45`), to read `date`. */
  utcOffset: string;
}

/**
 * How many of the `copies` (arrival times) of one call/event — a popup to `code`, or the hangup event
 * (`code` null) — are repeats nothing explains. By default every copy past the first is one; a test
 * that kills the retailcrm service passes crm-repeats.ts's rule instead.
 */
export type RepeatJudge = (
  callId: string,
  kind: 'popup' | 'hangup',
  code: string | null,
  copies: readonly number[],
) => number;

const strict: RepeatJudge = (_id, _kind, _code, copies) => Math.max(0, copies.length - 1);

/**
 * Whether a popup to `code` that never reached the CRM is explained (crm-repeats.ts: an attempt whose
 * outcome the fleet could not know is not repeated). By default nothing is.
 */
export type MissingJudge = (callId: string, code: string) => boolean;

const json = (v: unknown) => JSON.stringify(v);
const outside = (v: unknown, [lo, hi]: [number, number]) => typeof v !== 'number' || v < lo || v > hi;

/** Every way the CRM's record of `r` differs from its expected outcome (empty when right). */
export function scenarioFailures(
  crm: RetailCrmFake,
  r: Replayed,
  repeats: RepeatJudge = strict,
  missing: MissingJudge = () => false,
): string[] {
  const failures: string[] = [];
  const fail = (where: string, what: string) => failures.push(`${where}: ${what}`);
  for (const c of EXPECTED[r.code]!.calls) {
    const id = r.rename(c.callId);
    const seen = observed(crm, id);
    const where = `${r.code} call ${id}`;
    const total = seen.popups.length + seen.hangups.length + seen.uploads.length;
    if (c.kind === 'internal') {
      if (total) fail(where, `an internal call reached the CRM (${total} requests)`);
      continue;
    }
    for (const leg of [...c.mobileLegs, ...c.consultationLegs]) {
      const l = observed(crm, r.rename(leg));
      if (l.popups.length + l.hangups.length + l.uploads.length)
        fail(where, `leg ${leg} reached the CRM as a call of its own`);
    }
    // A second popup to one extension is a failure too (unless `repeats` explains it): counted per
    // extension, not as a set.
    const byCode = popupsByExtension(seen.popups);
    const unexplained = [...byCode].reduce((n, [code, at]) => n + repeats(id, 'popup', code, at), 0);
    const rang = [...new Set(c.ringing)].sort((a, b) => a.localeCompare(b));
    const shown = [...byCode.keys()].sort((a, b) => a.localeCompare(b));
    const expected = rang.filter((code) => byCode.has(code) || !missing(id, code));
    if (unexplained || json(shown) !== json(expected)) {
      fail(
        where,
        `popups per extension ${json(popupCounts(seen.popups))} (${unexplained} unexplained repeats), rang ${json(c.ringing)}`,
      );
    }
    const hangupsOk = c.ringing.length
      ? seen.hangups.length >= 1 &&
        repeats(
          id,
          'hangup',
          null,
          seen.hangups.map((h) => h.receivedAt),
        ) === 0
      : seen.hangups.length === 0;
    if (!hangupsOk) fail(where, `${seen.hangups.length} hangup events`);
    if (seen.uploads.length !== 1) {
      fail(where, `${seen.uploads.length} history records`);
      continue;
    }
    const up = seen.uploads[0]!;
    // Outgoing: the manager who dialled, answered or not. Incoming: who took it, when an extension did.
    const manager = c.direction === 'out' ? c.ringing[0] : isExtension(c.answeredBy) ? c.answeredBy : undefined;
    const fields = { type: up.type, result: up.result, phone: up.phone, code: up.code, userId: up.userId };
    const want = {
      type: c.direction,
      result: c.result,
      phone: c.phone,
      code: manager,
      userId: manager === '151' ? 18 : undefined,
    };
    if (json(fields) !== json(want)) fail(where, `history ${json(fields)} ≠ expected ${json(want)}`);
    // Times, against when the test posted each event (history-timing.ts says why these bounds).
    const start = r.events.findIndex((e) => e.body.UniqueId === id);
    const w = c.answered ? answerWindow(r.events, id, c.direction) : null;
    if (start < 0 || (c.answered && !w)) {
      fail(where, 'no start or answer in the posted events (test data)');
      continue;
    }
    const b = timingBounds(r.posted, start, w);
    if (outside(up.duration, b.duration))
      fail(where, `duration ${json(up.duration)} s outside [${b.duration}] (talk time from the answer to the end)`);
    if (outside(up.durationWaiting, b.durationWaiting))
      fail(where, `durationWaiting ${json(up.durationWaiting)} s outside [${b.durationWaiting}]`);
    if (outside(crmDateSeconds(up.date, r.utcOffset), b.startSec)) {
      fail(
        where,
        `date ${json(up.date)} is not the call's start in the enterprise's zone (UTC${r.utcOffset}): ` +
          `expected between ${new Date(b.startSec[0] * 1000).toISOString()} and ${new Date(b.startSec[1] * 1000).toISOString()}`,
      );
    }
    // Only an answered call has a recording; the template is configured for every test enterprise.
    const url = c.answered ? recordUrlFor(r.enterprise, id) : undefined;
    if (up.recordUrl !== url) fail(where, `recordUrl ${json(up.recordUrl)} ≠ ${json(url)}`);
  }
  return failures;
}

/** The customer call ids a replay must produce at the CRM. */
export const customerIds = (r: Pick<Replayed, 'code' | 'rename'>): string[] =>
  EXPECTED[r.code]!.calls.filter((c) => c.kind === 'customer').map((c) => r.rename(c.callId));
