// Tier 2: retention of the tables this service owns (@fleet/retention), finished rows only.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Sql } from '@fleet/db';
import { retentionPlugin, type RetentionRule } from '@fleet/retention';
import type { RetailCrmConfig } from '../config.ts';

type Days = Pick<RetailCrmConfig, 'RETENTION_INTEGRATION_LOGS_DAYS' | 'RETENTION_CALL_STEPS_DAYS'>;

/**
 * The rows of integration_logs the admin page shows whatever their age: each enterprise's last success
 * and last error, as the Connection section reads them (admin/journal-read.ts lastOutcomes). The
 * Journal section has no default date filter: it pages through whatever the retention keeps.
 */
async function lastOutcomeIds(sql: Sql): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select o.id::text from enterprises e cross join lateral (
      (select id from integration_logs where enterprise = e.number and ok order by id desc limit 1)
      union all
      (select id from integration_logs where enterprise = e.number and not ok and state = 'done' order by id desc limit 1)
    ) o`;
  return rows.map((r) => r.id);
}

export const retailCrmRetentionRules = (c: Days): RetentionRule[] => [
  // An attempt left 'sent' (its process died before the answer) stays: it is the only record that
  // RetailCRM may have performed it.
  {
    table: 'integration_logs',
    days: c.RETENTION_INTEGRATION_LOGS_DAYS,
    age: 'created_at',
    finished: "state = 'done'",
    walk: { insertedAt: 'created_at' },
    keep: lastOutcomeIds,
  },
  // A 'running' step is claimed (or its worker crashed and the lease decides); no time-ordered key.
  { table: 'retailcrm_call_steps', days: c.RETENTION_CALL_STEPS_DAYS, age: 'updated_at', finished: "status = 'done'" },
  // A missed-call task closed (or lost) long ago: no call can merge into or complete it any more. Kept
  // as long as the journal that shows how it was created; open and creating rows stay whatever their age.
  {
    table: 'retailcrm_missed_tasks',
    days: c.RETENTION_INTEGRATION_LOGS_DAYS,
    age: 'updated_at',
    finished: "status in ('closed', 'lost')",
  },
  // A mapping drift RetailCRM has not reported for as long as a done step is kept: the admin page stopped
  // showing it after 7 days (plugins/mapping-drift.ts); a new report writes it again.
  {
    table: 'retailcrm_mapping_drift',
    days: c.RETENTION_CALL_STEPS_DAYS,
    age: 'last_seen_at',
    finished: 'true',
  },
  // An expired session opens nothing (admin/sessions.ts); no use in keeping it.
  { table: 'retailcrm_admin_sessions', days: 0, age: 'expires_at', finished: 'true' },
];

export const retailCrmRetentionPlugin = fp(
  async (app: FastifyInstance) => {
    const c = app.rcrmConfig;
    await app.register(retentionPlugin, {
      sql: app.sql,
      name: 'retailcrm',
      intervalMs: c.RETENTION_INTERVAL_MS,
      rules: retailCrmRetentionRules(c),
    });
  },
  { name: 'retailcrm-retention', dependencies: ['retailcrm-core'] },
);
