// One outbound-HTTP policy per upstream (STYLE.md rule 7): an undici Pool with connect/headers/body
// timeouts, and a classification of every outcome as done, transient (retry later) or permanent.
import { Pool, errors as undiciErrors } from 'undici';
import type { Integration } from '../domain/enablement.ts';
import type { CallEventBody } from '@fleet/call-event';
import { UpstreamPermanentError, UpstreamTransientError } from '../errors.ts';

export interface ForwarderOptions {
  /** Base URL of each integration's service, e.g. `{ retailcrm: 'http://127.0.0.1:8019' }`. */
  services: Record<Integration, string>;
  timeoutMs: number;
  /** Connections per integration service: forwards in flight at once (default 64). */
  connections?: number;
}

/** What a failed forward carries for the worker and the dead-letter log. */
export interface ForwardFailure {
  code: string;
  statusCode?: number;
  /** Upstream status code, when there was a response. */
  upstreamStatus?: number;
  /** First 4000 characters of the response body. */
  response?: string;
  /** From Retry-After / retry_after on 429, 409 or 503 (ms). */
  retryAfterMs?: number;
}

const PATHS: Record<Integration, string> = { retailcrm: '/internal/retailcrm/call-event' };

/** 409 means "this call's previous step is still running" and 429 "slow down": both retry. */
const isTransientStatus = (s: number) => s >= 500 || s === 409 || s === 429;

function retryAfterMs(header: string | string[] | undefined, body: string): number | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (h && /^\d+(\.\d+)?$/.test(h.trim())) return Math.round(Number(h) * 1000);
  const m = /"retry_after"\s*:\s*(\d+(\.\d+)?)/.exec(body);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/** The forwarder: `send` resolves on 2xx and rejects with a GW_UPSTREAM_* error otherwise. */
export type Forwarder = ReturnType<typeof createForwarder>;

/** Creates one connection pool per integration service. */
export function createForwarder(o: ForwarderOptions) {
  const pools = new Map<Integration, Pool>();
  const poolOf = (i: Integration): Pool => {
    let p = pools.get(i);
    if (!p) {
      p = new Pool(new URL(o.services[i]).origin, {
        connections: o.connections ?? 64,
        connectTimeout: o.timeoutMs,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      });
      pools.set(i, p);
    }
    return p;
  };

  return {
    /** URL a delivery of `integration` is POSTed to (for logs and dead letters). */
    urlOf: (i: Integration): string => new URL(PATHS[i], o.services[i]).toString(),

    /**
     * POSTs `body` to the integration's service once (no retry here: the dispatcher's outbox is the
     * one retry layer of this hop).
     * @throws UpstreamTransientError (GW_UPSTREAM_TRANSIENT) on network errors, timeouts, 5xx, 409, 429;
     *         UpstreamPermanentError (GW_UPSTREAM_PERMANENT) on any other non-2xx.
     */
    async send(integration: Integration, body: CallEventBody): Promise<{ status: number; response: string }> {
      const path = new URL(PATHS[integration], o.services[integration]).pathname;
      let res;
      try {
        res = await poolOf(integration).request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', 'idempotency-key': `${body.callId}:${body.dedup_key}` },
          body: JSON.stringify(body),
        });
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as Error).name;
        throw Object.assign(new UpstreamTransientError(code), { cause: err });
      }
      let text = '';
      try {
        text = (await res.body.text()).slice(0, 4000);
      } catch (err) {
        if (err instanceof undiciErrors.BodyTimeoutError || res.statusCode >= 300) {
          throw Object.assign(new UpstreamTransientError('body read failed'), {
            cause: err,
            upstreamStatus: res.statusCode,
          });
        }
      }
      const s = res.statusCode;
      if (s >= 200 && s < 300) return { status: s, response: text };
      const detail = { upstreamStatus: s, response: text };
      if (isTransientStatus(s)) {
        const after = s === 429 || s === 409 || s === 503 ? retryAfterMs(res.headers['retry-after'], text) : undefined;
        throw Object.assign(
          new UpstreamTransientError(`HTTP ${s}`),
          detail,
          after === undefined ? {} : { retryAfterMs: after },
        );
      }
      throw Object.assign(new UpstreamPermanentError(`HTTP ${s}`), detail);
    },

    /** Closes every pool (in-flight requests finish first). */
    async close(): Promise<void> {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}
