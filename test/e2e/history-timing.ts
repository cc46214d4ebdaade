// What a history record's times must be, from when the test itself posted each event.
//
// The call model times a call on call-intake's clock: each event's receivedAt (stamped when its POST
// arrives), not the hosts' StartTime/EndTime (packages/call-model summary.ts finishSummary). So:
//   startedAt  = receivedAt of the call's first event,
//   answeredAt = receivedAt of the answer (one of the answer pair of bridges, answer-window.ts),
//   endedAt    = receivedAt of an event after the answer (the final hangup, or the last bridge_leave
//                when no hangup comes) — never the settle or close timer's own time;
//   duration   = round((endedAt − answeredAt) / 1000), 0 when unanswered;
//   durationWaiting = round(((answeredAt ?? endedAt) − startedAt) / 1000)
// and retailcrm's historyRecord sends them as they are, `date` = startedAt in the enterprise's zone.
// receivedAt of event i lies in [sentAt(i), doneAt(i)] as the test measured them, and Math.round is
// monotonic, so the bounds below are exact whatever the machine's load: no fudge factor. To make them
// discriminating, the schedule pauses RING_PAUSE_MS before each answer pair and TALK_PAUSE_MS right
// after it, everything else being posted back to back: an answer taken from the wrong event, an end
// taken from a timer (settle 2 s, close 5 s) or a start taken from the answer moves a value by ≥ 2 s.
import { replayEvents, substituteToken, type ScenarioEvent } from '@fleet/cli';
import { answerWindow, type AnswerWindow } from './answer-window.ts';
import type { ExpectedCall } from './harness.ts';

export const RING_PAUSE_MS = 2000;
export const TALK_PAUSE_MS = 3000;

/** When the test posted one event and when its 200 came back (ms, this machine's clock). */
export interface Posted {
  sentAt: number;
  doneAt: number;
}

/**
 * Pause before each event (ms): 0, except RING_PAUSE_MS before and TALK_PAUSE_MS after the answer
 * pair of every answered customer call, whose window is returned by call id.
 * @throws Error when an answered call shows no answer in its events (the scenario needs a look).
 */
export function schedule(
  events: readonly ScenarioEvent[],
  calls: readonly ExpectedCall[],
): { delays: number[]; windows: Map<string, AnswerWindow> } {
  const delays = events.map(() => 0);
  const windows = new Map<string, AnswerWindow>();
  for (const c of calls) {
    if (c.kind !== 'customer' || !c.answered) continue;
    const w = answerWindow(events, c.callId, c.direction);
    if (!w) throw new Error(`call ${c.callId} is answered but no bridge of it is in its events`);
    windows.set(c.callId, w);
    delays[w.first]! += RING_PAUSE_MS;
    if (w.second + 1 < events.length) delays[w.second + 1]! += TALK_PAUSE_MS;
  }
  return { delays, windows };
}

/**
 * Posts `events` as their host would (header and body token, one at a time), waiting `delays[i]` ms
 * before event i. @returns when each was sent and answered. @throws Error on any non-200 answer.
 */
export async function postTimed(
  intakeUrl: string,
  events: readonly ScenarioEvent[],
  token: string,
  delays: readonly number[] = [],
): Promise<Posted[]> {
  // replayEvents waits the gaps between the events' `t` (s): the pauses become `t`.
  let t = 0;
  const timed = substituteToken(events, token).map((e, i) => ({ ...e, t: (t += (delays[i] ?? 0) / 1000) }));
  const posted: Posted[] = [];
  const results = await replayEvents(timed, {
    intake: intakeUrl,
    speed: 1,
    onResult: (r) => {
      const doneAt = Date.now();
      // latencyMs is measured with performance.now(): 1 ms either way for the two clocks' rounding.
      posted.push({ sentAt: Math.floor(doneAt - r.latencyMs) - 1, doneAt: doneAt + 1 });
    },
  });
  const bad = results.filter((r) => r.status !== 200);
  if (bad.length) throw new Error(`intake refused: ${JSON.stringify(bad.slice(0, 3))}`);
  return posted;
}

export interface Bounds {
  /** Inclusive [min, max]. */
  duration: [number, number];
  durationWaiting: [number, number];
  /** The call's start (epoch seconds, as `date` names it). */
  startSec: [number, number];
}

const sec = (ms: number) => Math.round(ms / 1000);

/**
 * What `duration`, `durationWaiting` and `date` of a call's history record must lie within, given
 * when its events were posted. `w` is the answer window of an answered call, null for an unanswered
 * one; `start` the index of the call's first event.
 */
export function timingBounds(posted: readonly Posted[], start: number, w: AnswerWindow | null): Bounds {
  const last = posted[posted.length - 1]!;
  const s = posted[start]!;
  const startSec: [number, number] = [Math.floor(s.sentAt / 1000), Math.floor(s.doneAt / 1000)];
  if (!w) return { duration: [0, 0], durationWaiting: [0, Math.max(0, sec(last.doneAt - s.sentAt))], startSec };
  const [a, b] = [posted[w.first]!, posted[w.second]!];
  const afterAnswer = posted[w.second + 1];
  return {
    duration: [afterAnswer ? Math.max(0, sec(afterAnswer.sentAt - b.doneAt)) : 0, sec(last.doneAt - a.sentAt)],
    durationWaiting: [Math.max(0, sec(a.sentAt - s.doneAt)), sec(b.doneAt - s.sentAt)],
    startSec,
  };
}

/**
 * Epoch seconds of a `Y-m-d H:i:s` date read in a zone with a fixed UTC offset (`+05:45`); NaN when
 * the text is not in that format. The test's own reading, independent of the services' formatter.
 */
export function crmDateSeconds(date: unknown, offset: string): number {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)$/.exec(String(date));
  return m ? Date.parse(`${m[1]}T${m[2]}${offset}`) / 1000 : Number.NaN;
}

export { answerWindow };
