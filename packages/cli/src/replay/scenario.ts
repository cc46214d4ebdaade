import { readFile } from 'node:fs/promises';

/**
 * One recorded host event: `POST /<event>` with `body`; `t` = seconds since the scenario's first
 * event, present in files built from real logs (shared/domain/asterisk-events.md, "Scenario corpus").
 */
export interface ScenarioEvent {
  event: string;
  body: Record<string, unknown>;
  t?: number;
}

/** The token placeholder the scenario corpus uses in `Token` fields. */
export const TOKEN_PLACEHOLDER = 'ENTERPRISE_TOKEN';

/** Raised for a scenario file that is not an array of {event, body, t?}; names the file and index. */
export class ScenarioError extends Error {
  readonly code = 'FLEET_CLI_SCENARIO_INVALID';
}

/**
 * Parses a scenario file's text. `event` must be a path-safe name (`^[a-z][a-z_]*$`; it is not
 * checked against the host event list, so unknown events can be replayed to test rejection),
 * `body` an object, `t` a non-negative number when present.
 * @throws ScenarioError naming `source` and the bad entry.
 */
export function parseScenario(text: string, source = 'scenario'): ScenarioEvent[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${source}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(data)) throw new ScenarioError(`${source}: expected an array of {event, body}`);
  return data.map((item: unknown, i) => {
    const e = item as Partial<ScenarioEvent> | null;
    const where = `${source}[${i}]`;
    if (typeof e !== 'object' || e === null) throw new ScenarioError(`${where}: not an object`);
    if (typeof e.event !== 'string' || !/^[a-z][a-z_]*$/.test(e.event)) {
      throw new ScenarioError(`${where}: "event" must be an event name such as "dial"`);
    }
    if (typeof e.body !== 'object' || e.body === null || Array.isArray(e.body)) {
      throw new ScenarioError(`${where}: "body" must be an object`);
    }
    if (e.t !== undefined && (typeof e.t !== 'number' || !Number.isFinite(e.t) || e.t < 0)) {
      throw new ScenarioError(`${where}: "t" must be a non-negative number of seconds`);
    }
    return e.t === undefined ? { event: e.event, body: e.body } : { event: e.event, body: e.body, t: e.t };
  });
}

/** Reads and parses a scenario file. @throws ScenarioError (or the fs error when unreadable). */
export async function loadScenario(path: string): Promise<ScenarioEvent[]> {
  return parseScenario(await readFile(path, 'utf8'), path);
}
