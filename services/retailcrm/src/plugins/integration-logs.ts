// Tier 2: the journal of every request to and response from RetailCRM (integration_logs). The client
// hands over exchanges without the API key; the key is also scrubbed here in case a caller put it in a
// field, because a journal outlives every secret rotation.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { CrmExchange } from '@fleet/retailcrm-client';

export type LogKind = 'call.event' | 'calls.upload';

export interface ExchangeContext {
  enterprise: string;
  kind: LogKind;
  callId: string;
  phone: string;
  apiKey: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    rcrmLogs: { write(ctx: ExchangeContext, x: CrmExchange): Promise<void> };
  }
}

export const integrationLogsPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('rcrmLogs', {
      async write(ctx: ExchangeContext, x: CrmExchange) {
        const scrub = (s: string) => s.split(ctx.apiKey).join('[redacted]');
        const request = JSON.parse(scrub(JSON.stringify(x.request))) as Record<string, never>;
        try {
          await app.sql`
            insert into integration_logs
              (enterprise, integration, kind, call_id, phone, method, url, request, status_code, response, ok, error, latency_ms)
            values
              (${ctx.enterprise}, 'retailcrm', ${ctx.kind}, ${ctx.callId}, ${ctx.phone}, ${x.method}, ${scrub(x.url)},
               ${app.sql.json(request)}, ${x.status ?? null}, ${x.response === undefined ? null : scrub(x.response)}, ${x.ok},
               ${x.error ? scrub(`${x.error.code}: ${x.error.message}`) : null}, ${x.latencyMs})`;
        } catch (err) {
          // The journal must not turn a delivered event into a failure (and a duplicate on retry).
          app.log.warn({ err, enterprise: ctx.enterprise, callId: ctx.callId }, 'integration_logs write failed');
        }
      },
    });
  },
  { name: 'retailcrm-integration-logs', dependencies: ['retailcrm-core'] },
);
