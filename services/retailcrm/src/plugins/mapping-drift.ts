// Tier 2: mapping drift (issue 14 item 4). RetailCRM's call/event answer names the extensions it has no
// user for (notExistCodes) and the user ids it does not know (notExistUsers): that popup reached nobody
// there. Each is noted per enterprise (retailcrm_mapping_drift, sql/170) for the admin page and counted
// in /metrics as fleet_retailcrm_mapping_drift_total{enterprise, kind}.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { CallEventResponse } from '@fleet/retailcrm-client';

export interface DriftItem {
  kind: 'code' | 'user';
  /** The extension (kind code) or the RetailCRM user id (kind user). */
  value: string;
  seen: number;
  firstSeenAt: string;
  lastSeenAt: string;
  lastCallId: string;
}

/** Drift older than this is not shown: nothing has asked for that extension or user since. */
const SHOWN_DAYS = 7;

declare module 'fastify' {
  interface FastifyInstance {
    rcrmDrift: {
      /** Notes what a call/event answer says RetailCRM lacks; never rejects (logs instead). */
      note(enterprise: string, callId: string, answer: CallEventResponse | undefined): Promise<void>;
      /** The enterprise's drift seen in the last 7 days, newest first. */
      list(enterprise: string): Promise<DriftItem[]>;
      /** After the mapping changed: the next answers say what is still missing. */
      clear(enterprise: string): Promise<void>;
    };
  }
}

export const mappingDriftPlugin = fp(
  async (app: FastifyInstance) => {
    const sql = app.sql;
    const counter = app.metrics.counter(
      'fleet_retailcrm_mapping_drift_total',
      "call/event answers' notExistCodes (kind code) and notExistUsers (kind user), one per extension or user",
      ['enterprise', 'kind'],
    );
    app.decorate('rcrmDrift', {
      async note(enterprise, callId, answer) {
        const items = [
          ...(answer?.notExistCodes ?? []).map((v) => ({ kind: 'code', value: String(v) })),
          ...(answer?.notExistUsers ?? []).map((v) => ({ kind: 'user', value: String(v) })),
        ].filter((i) => i.value.length > 0 && i.value.length <= 40);
        if (!items.length) return;
        for (const i of items) counter.inc({ enterprise, kind: i.kind });
        try {
          await sql`
            insert into retailcrm_mapping_drift (enterprise, kind, value, last_call_id)
            select ${enterprise}, kind, value, ${callId}
            from unnest(${items.map((i) => i.kind)}::text[], ${items.map((i) => i.value)}::text[]) as t(kind, value)
            on conflict (enterprise, kind, value) do update
              set seen = retailcrm_mapping_drift.seen + 1, last_seen_at = now(), last_call_id = excluded.last_call_id`;
        } catch (err) {
          // The popup was delivered: a failed note must not turn it into a retry (a second popup).
          app.log.warn({ err, enterprise, callId }, 'mapping drift not recorded');
        }
      },
      async list(enterprise) {
        const rows = await sql<
          { kind: 'code' | 'user'; value: string; seen: number; first: Date; last: Date; call_id: string }[]
        >`
          select kind, value, seen, first_seen_at as first, last_seen_at as last, last_call_id as call_id
          from retailcrm_mapping_drift
          where enterprise = ${enterprise} and last_seen_at > now() - ${SHOWN_DAYS} * interval '1 day'
          order by last_seen_at desc, kind, value`;
        return rows.map((r) => ({
          kind: r.kind,
          value: r.value,
          seen: r.seen,
          firstSeenAt: r.first.toISOString(),
          lastSeenAt: r.last.toISOString(),
          lastCallId: r.call_id,
        }));
      },
      async clear(enterprise) {
        await sql`delete from retailcrm_mapping_drift where enterprise = ${enterprise}`;
      },
    });
  },
  { name: 'retailcrm-mapping-drift', dependencies: ['retailcrm-core'] },
);
