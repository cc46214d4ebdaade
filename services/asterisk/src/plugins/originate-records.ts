// Tier 2: the originates table, one row per request that reached the host stage.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

export type OriginateStatus = 'requested' | 'accepted' | 'confirmed' | 'unconfirmed' | 'failed' | 'unknown';

export interface NewOriginate {
  correlationId: string;
  enterprise: string;
  extension: string;
  phone: string;
  requestedBy: string;
}

export interface OriginateOutcome {
  status: OriginateStatus;
  errorCode?: string | null;
  hostAnswer?: string | null;
  latencyMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    originateRecords: {
      create(o: NewOriginate): Promise<void>;
      /** Sets the outcome; `confirmed` also stamps confirmed_at. A confirmed record is never downgraded. */
      finish(correlationId: string, o: OriginateOutcome): Promise<void>;
    };
  }
}

const cap = (s: string | null | undefined) => (s == null ? null : s.slice(0, 2000));

export const originateRecordsPlugin = fp(
  async (app: FastifyInstance) => {
    const sql = app.sql;
    app.decorate('originateRecords', {
      async create(o: NewOriginate) {
        await sql`
          insert into originates (correlation_id, enterprise, extension, phone, requested_by, status)
          values (${o.correlationId}, ${o.enterprise}, ${o.extension}, ${o.phone}, ${o.requestedBy}, 'requested')`;
      },
      async finish(correlationId: string, o: OriginateOutcome) {
        await sql`
          update originates set
            status = ${o.status},
            error_code = coalesce(${o.errorCode ?? null}, error_code),
            host_answer = coalesce(${cap(o.hostAnswer)}, host_answer),
            latency_ms = coalesce(latency_ms, ${o.latencyMs ?? null}),
            confirmed_at = case when ${o.status} = 'confirmed' then now() else confirmed_at end,
            updated_at = now()
          where correlation_id = ${correlationId} and status <> 'confirmed'`;
      },
    });
  },
  { name: 'asterisk-originate-records', dependencies: ['asterisk-core'] },
);
