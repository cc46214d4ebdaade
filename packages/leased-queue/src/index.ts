// @fleet/leased-queue: the one leased queue of the fleet's delivery work (issue 12), used by
// call-intake's outbox dispatcher and its Telegram card worker. It owns the mechanism — the coalesced
// round loop, lanes with per-lane order or width and a bound on the total, claim/renew/release of a
// lease with `for update skip locked`, retry and dead marks, done marks coalesced into one statement —
// and its users keep what is theirs (what a row means, how it is sent, what a failure is).
export { createRounds, type Round, type Rounds, type RoundsOptions } from './rounds.ts';
export { createLanes, type LaneHandle, type Lanes, type LanesOptions } from './lanes.ts';
export {
  createLeasedTable,
  type Fragment,
  type LeasedTable,
  type LeasedTableOptions,
  type TableSpec,
} from './table.ts';
export { createDoneMarks, type DoneMarks } from './marks.ts';
export { retryDelaySec } from './delay.ts';
