// What PostgreSQL's json/jsonb refuses although JSON.parse accepts it: \u0000 and unpaired UTF-16
// surrogates ("invalid input syntax for type json"), in keys and strings alike. Such a value, stored
// as a request body or journal row, failed its statement and reached the caller as a 503 (host events
// before asterisk-events checked it; the gateway's /dispatch/call-event until the fuzz found it).
// A body nested thousands deep also overflows the stack of whoever serialises it again.

const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why `value` (a parsed JSON value) cannot be stored in a jsonb column as it is, or null when it can,
 * naming where: '<path> contains NUL or an unpaired surrogate' (path = dotted keys and [indexes], e.g.
 * `raw.CallerIDName`, `Extensions[0]`; 'the body' at the top), 'a key in <path> contains NUL or an
 * unpaired surrogate', or '<path> is nested deeper than <maxDepth> levels' (the top level is depth 1).
 * Pure; never throws. Rule: PostgreSQL's JSON input (src/backend/utils/adt/jsonfuncs.c and json.c
 * reject \u0000 and lone surrogates).
 */
export function jsonbRefusal(value: unknown, maxDepth = 32): string | null {
  return refusal(value, '', 1, maxDepth);
}

/** The path for a reason; capped, since keys are caller input of any length. */
const where = (path: string) => (path.length > 120 ? `${path.slice(0, 117)}…` : path || 'the body');

function refusal(value: unknown, path: string, depth: number, maxDepth: number): string | null {
  if (typeof value === 'string')
    return UNSTORABLE.test(value) ? `${where(path)} contains NUL or an unpaired surrogate` : null;
  if (value === null || typeof value !== 'object') return null;
  if (depth > maxDepth) return `${where(path)} is nested deeper than ${maxDepth} levels`;
  const list = Array.isArray(value);
  for (const [k, v] of Object.entries(value)) {
    if (UNSTORABLE.test(k)) return `a key in ${where(path)} contains NUL or an unpaired surrogate`;
    const why = refusal(v, list ? `${path}[${k}]` : path ? `${path}.${k}` : k, depth + 1, maxDepth);
    if (why) return why;
  }
  return null;
}
