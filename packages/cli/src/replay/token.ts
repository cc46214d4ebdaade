import { TOKEN_PLACEHOLDER, type ScenarioEvent } from './scenario.ts';

function replaceDeep(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.split(TOKEN_PLACEHOLDER).join(token);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, token));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, token)]));
  }
  return value;
}

/**
 * Returns copies of `events` with every occurrence of the placeholder `ENTERPRISE_TOKEN` in body
 * strings replaced by `token`. Other tokens are left as they are. Inputs are not mutated.
 */
export function substituteToken(events: readonly ScenarioEvent[], token: string): ScenarioEvent[] {
  return events.map((e) => ({ ...e, body: replaceDeep(e.body, token) as Record<string, unknown> }));
}

/**
 * The `Token` header a host would send with this body: the body's own `Token` (hosts send it
 * twice, shared/domain/asterisk-events.md "Transport"), else `fallback`.
 */
export function headerToken(body: Record<string, unknown>, fallback = TOKEN_PLACEHOLDER): string {
  const t = body.Token;
  return typeof t === 'string' || typeof t === 'number' ? String(t) : fallback;
}
