// @fleet/cli: operator commands (`pnpm fleet`) and the host-event replayer (`pnpm replay`).
// The replay parts are exported for tests and the demo.
export {
  parseScenario,
  loadScenario,
  ScenarioError,
  TOKEN_PLACEHOLDER,
  type ScenarioEvent,
} from './replay/scenario.ts';
export { substituteToken, headerToken } from './replay/token.ts';
export { freshIds, randomIdSuffix, ID_SUFFIX_LENGTH } from './replay/fresh-ids.ts';
export { gapsMs, percentile, summarize, type ReplayResult, type ReplaySummary } from './replay/timing.ts';
export { replayEvents, hostRequest, HOST_TIMEOUT_MS, type ReplayOptions, type HostRequest } from './replay/post.ts';
export { runReplay, formatResult, REPLAY_USAGE } from './run-replay.ts';
export { runFleet, type FleetIo, type FleetConnection } from './run-fleet.ts';
export { openFleetDatabase, reachRunningEmbedded } from './db.ts';
export { mask } from './format.ts';
export { EXIT, CliError } from './errors.ts';
export type { CommandContext } from './command.ts';
