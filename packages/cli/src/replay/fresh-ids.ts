import { createHash, randomInt } from 'node:crypto';
import type { ScenarioEvent } from './scenario.ts';

/** Length of the digit suffix appended to UniqueIds. */
export const ID_SUFFIX_LENGTH = 6;

/** A random suffix of ID_SUFFIX_LENGTH digits for freshIds. */
export function randomIdSuffix(): string {
  return String(randomInt(0, 10 ** ID_SUFFIX_LENGTH)).padStart(ID_SUFFIX_LENGTH, '0');
}

/**
 * UniqueId `1757840723.6` → `1757840723.6<suffix>`: still `<epoch>.<sequence>` digits, which the
 * call model may parse, and a fixed-length suffix keeps both distinctness and the numeric order of
 * sequences within a file.
 */
function freshUniqueId(id: string, suffix: string): string {
  return id === '' ? id : `${id}${suffix}`;
}

/** BridgeUniqueid (a UUID) → another UUID-shaped id derived from it and the suffix (stable per file). */
function freshBridgeId(id: string, suffix: string): string {
  if (id === '') return id;
  const h = createHash('sha256').update(`${id}:${suffix}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Rewrites every `UniqueId` and `BridgeUniqueid` of `events` with `suffix` (digits, e.g.
 * randomIdSuffix()), consistently: equal ids stay equal, different ids stay different, empty ids
 * (bridge_create's UniqueId) stay empty. Lets a scenario be replayed as new calls, since intake
 * de-duplicates exact repeats. Inputs are not mutated.
 * @throws Error when `suffix` is not ID_SUFFIX_LENGTH digits.
 */
export function freshIds(events: readonly ScenarioEvent[], suffix: string): ScenarioEvent[] {
  if (!new RegExp(`^\\d{${ID_SUFFIX_LENGTH}}$`).test(suffix)) {
    throw new Error(`id suffix must be ${ID_SUFFIX_LENGTH} digits`);
  }
  return events.map((e) => {
    const body = { ...e.body };
    if (typeof body.UniqueId === 'string') body.UniqueId = freshUniqueId(body.UniqueId, suffix);
    if (typeof body.BridgeUniqueid === 'string') body.BridgeUniqueid = freshBridgeId(body.BridgeUniqueid, suffix);
    return { ...e, body };
  });
}
