import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { ScenarioEvent } from './scenario.ts';
import { headerToken } from './token.ts';
import { gapsMs, type ReplayResult } from './timing.ts';

/** Hosts give up after 3 s and never retry (shared/domain/asterisk-events.md, "Transport"). */
export const HOST_TIMEOUT_MS = 3000;

export interface HostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The request an Asterisk host sends for `event`: `POST <intake>/<event>`, header `Token`, JSON body. */
export function hostRequest(intake: string, event: ScenarioEvent): HostRequest {
  return {
    url: `${intake.replace(/\/+$/, '')}/${event.event}`,
    headers: { 'content-type': 'application/json', token: headerToken(event.body) },
    body: JSON.stringify(event.body),
  };
}

export interface ReplayOptions {
  /** Base URL of call-intake, e.g. `http://127.0.0.1:8000`. */
  intake: string;
  /** Divides the `t` gaps; 0 = no waiting (default 1). */
  speed?: number;
  /** Per-request timeout in ms (default HOST_TIMEOUT_MS, like a host). */
  timeoutMs?: number;
  /** Index of the first event in results (to number events across several files). */
  firstIndex?: number;
  /** Called as each answer arrives, before the next event is sent. */
  onResult?: (result: ReplayResult) => void;
}

/**
 * Posts `events` one by one as a host does, awaiting each answer before the next and waiting the
 * `t` gaps / speed in between. Never throws for HTTP failures: a refused or timed-out request is a
 * result with status 0. @returns one ReplayResult per event, in order.
 */
export async function replayEvents(events: readonly ScenarioEvent[], opts: ReplayOptions): Promise<ReplayResult[]> {
  const timeoutMs = opts.timeoutMs ?? HOST_TIMEOUT_MS;
  const gaps = gapsMs(events, opts.speed ?? 1);
  // One agent per replay, closed at the end, so no keep-alive socket holds the process open.
  const dispatcher = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const results: ReplayResult[] = [];
  try {
    for (const [i, event] of events.entries()) {
      if (gaps[i]) await sleep(gaps[i]);
      const req = hostRequest(opts.intake, event);
      const started = performance.now();
      let status = 0;
      let error: string | undefined;
      try {
        const res = await request(req.url, { method: 'POST', headers: req.headers, body: req.body, dispatcher });
        status = res.statusCode;
        const text = await res.body.text();
        if (status < 200 || status >= 300) error = text.slice(0, 200);
      } catch (e) {
        error = (e as { code?: string }).code ?? (e as Error).message;
      }
      const result: ReplayResult = {
        index: (opts.firstIndex ?? 0) + i,
        event: event.event,
        uniqueId: typeof event.body.UniqueId === 'string' ? event.body.UniqueId : '',
        status,
        latencyMs: performance.now() - started,
        ...(error !== undefined ? { error } : {}),
      };
      results.push(result);
      opts.onResult?.(result);
    }
  } finally {
    await dispatcher.close();
  }
  return results;
}
