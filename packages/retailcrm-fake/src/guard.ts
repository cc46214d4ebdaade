// What happens before any RetailCRM method runs: authentication, the per-key rate limit, injected
// faults, scopes, and the form-field strictness shared by every POST.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { countRequest, type FakeState, type RateBucket, type RejectionReason } from './state.ts';

export interface FakeApiKey {
  key: string;
  /** Scopes of the key (credentials()); undefined = every scope. */
  scopes?: string[];
  /** Name in state (default `key<index>`); the key itself never appears in state. */
  label?: string;
  /** GET /api/credentials answers as older accounts do: methods only, no `scopes` field. */
  withoutScopesField?: boolean;
}

export interface FakeFaults {
  /** Share of /api requests answered 503 at random (0..1). */
  status503Ratio?: number;
  /** Share of /api requests that wait hangMs before being processed (the client should time out). */
  hangRatio?: number;
  hangMs?: number;
  /** The next N /api requests are answered 503 (deterministic). */
  fail503Next?: number;
  /** The next N /api requests hang hangMs (deterministic). */
  hangNext?: number;
  /**
   * The next N /api requests are PROCESSED (an edit is applied) and only their answer waits hangMs:
   * the client times out not knowing the outcome (issue 15.4: RetailCRM applied the module edit,
   * the register command timed out).
   */
  hangAfterNext?: number;
  /** Retry-After seconds sent with fault 503s (omitted when undefined). */
  retryAfterSec?: number;
  /** Inject faults only into requests whose path starts with this, e.g. '/api/v5/telephony/calls/upload'. */
  path?: string;
  /** Random source for the ratios (default Math.random). */
  random?: () => number;
}

export interface RouteRule {
  bucket: RateBucket;
  /** Scope the key needs; undefined = any authenticated key. */
  scope?: string;
}

export interface GuardContext {
  state: FakeState;
  keys: Array<Required<Pick<FakeApiKey, 'key' | 'label'>> & Pick<FakeApiKey, 'scopes' | 'withoutScopesField'>>;
  limits: Record<RateBucket, number>;
  faults: FakeFaults;
  windows: Map<string, number[]>;
  /** Bumped by reset(): a request hanging across a reset must not write into the new state. */
  epoch: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    crm?: RouteRule;
  }
  interface FastifyRequest {
    crmKey?: string;
    /** hangAfterNext picked this request: its answer waits hangMs after the handler ran. */
    crmHangAfter?: boolean;
  }
}

/** Sends a RetailCRM-style error and records the rejection. */
export function reject(
  ctx: GuardContext,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  reason: RejectionReason,
  errorMsg: string,
  errors?: unknown,
): FastifyReply {
  ctx.state.rejections.push({
    at: Date.now(),
    method: req.method,
    path: req.url.split('?')[0]!,
    status,
    reason,
    errorMsg,
    ...(errors ? { errors } : {}),
  });
  return reply.code(status).send({ success: false, errorMsg, ...(errors ? { errors } : {}) });
}

/** preHandler for /api routes. Returns the reply when it answered, undefined to go on. */
export async function guard(
  ctx: GuardContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const rule = req.routeOptions.config.crm;
  if (!rule) return undefined;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const query = req.query as Record<string, unknown>;
  const given = req.headers['x-api-key'] ?? query.apiKey ?? body.apiKey;
  if (given === undefined || given === '')
    return reject(ctx, req, reply, 403, 'missing_api_key', '"apiKey" is missing.');
  const key = ctx.keys.find((k) => k.key === given);
  if (!key) return reject(ctx, req, reply, 403, 'wrong_api_key', 'Wrong "apiKey" value.');
  req.crmKey = key.label;

  const now = Date.now();
  countRequest(ctx.state, key.label, rule.bucket, now);
  const laneId = `${key.label}:${rule.bucket}`;
  const lane = (ctx.windows.get(laneId) ?? []).filter((t) => t > now - 1000);
  ctx.windows.set(laneId, lane);
  if (lane.length >= ctx.limits[rule.bucket]) {
    return reject(ctx, req, reply, 503, 'rate_limit', 'Rate limit exceeded. Please try again later.');
  }
  lane.push(now);

  const f = ctx.faults;
  const rnd = f.random ?? Math.random;
  const faulty = !f.path || req.url.startsWith(f.path);
  if (faulty && ((f.fail503Next ?? 0) > 0 || (f.status503Ratio ?? 0) > rnd())) {
    if ((f.fail503Next ?? 0) > 0) f.fail503Next = f.fail503Next! - 1;
    if (f.retryAfterSec !== undefined) reply.header('retry-after', String(f.retryAfterSec));
    return reject(ctx, req, reply, 503, 'fault_503', 'Service temporarily unavailable.');
  }
  if (faulty && ((f.hangNext ?? 0) > 0 || (f.hangRatio ?? 0) > rnd())) {
    if ((f.hangNext ?? 0) > 0) f.hangNext = f.hangNext! - 1;
    const epoch = ctx.epoch;
    await new Promise((r) => setTimeout(r, f.hangMs ?? 10_000));
    if (ctx.epoch !== epoch) return reply.code(503).send({ success: false, errorMsg: 'The fake was reset meanwhile.' });
  }

  if (faulty && (f.hangAfterNext ?? 0) > 0) {
    f.hangAfterNext = f.hangAfterNext! - 1;
    req.crmHangAfter = true;
  }

  // Scope names as RetailCRM's key settings show them; the wording of this refusal is unconfirmed (?).
  if (rule.scope && key.scopes && !key.scopes.includes(rule.scope)) {
    return reject(ctx, req, reply, 403, 'scope', `Access denied: the API key has no "${rule.scope}" scope.`);
  }

  if (req.method === 'POST') {
    // PHP reads `event[phone]=…` as an array: RetailCRM refuses non-scalar parameters. Repeated keys
    // arrive as arrays from the form parser: the same refusal.
    for (const [name, value] of Object.entries(body)) {
      const bracket = name.indexOf('[');
      if (bracket > 0 || Array.isArray(value)) {
        const param = bracket > 0 ? name.slice(0, bracket) : name;
        return reject(ctx, req, reply, 400, 'non_scalar', `Parameter '${param}' contains a non-scalar value.`);
      }
    }
  }
  return undefined;
}

/**
 * Reads a POST field that must hold a JSON string. Answers (and returns undefined) when it is missing
 * or not JSON. A JSON request body is read as an empty form, like RetailCRM does.
 */
export function jsonField(ctx: GuardContext, req: FastifyRequest, reply: FastifyReply, name: string): unknown {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const raw = body[name];
  if (raw === undefined || raw === '') {
    reject(ctx, req, reply, 400, 'missing_parameter', `Parameter '${name}' is missing`);
    return undefined;
  }
  try {
    return JSON.parse(String(raw));
  } catch {
    reject(ctx, req, reply, 400, 'invalid_json', `Parameter '${name}' must be a valid JSON.`);
    return undefined;
  }
}
