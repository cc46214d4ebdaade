// Tier 2: retention of the tables this service owns (@fleet/retention), finished rows only.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { retentionPlugin, type RetentionRule } from '@fleet/retention';
import type { AsteriskConfig } from '../config.ts';

type Days = Pick<AsteriskConfig, 'RETENTION_ORIGINATES_DAYS' | 'RETENTION_RECOVERY_RUNS_DAYS'>;

/** The rules: call-intake reads the last minutes of originates, operators the recovery runs. */
export const asteriskRetentionRules = (c: Days): RetentionRule[] => [
  // 'requested'/'accepted' are in flight (the confirmation looks for the channel for 15 s); a record a
  // crash left so is never removed: it says the outcome is unknown.
  {
    table: 'originates',
    days: c.RETENTION_ORIGINATES_DAYS,
    age: 'created_at',
    finished: "status in ('confirmed', 'unconfirmed', 'failed', 'unknown')",
    walk: { insertedAt: 'created_at' },
  },
  {
    table: 'recovery_runs',
    days: c.RETENTION_RECOVERY_RUNS_DAYS,
    age: 'started_at',
    finished: "status <> 'running'",
    walk: { insertedAt: 'started_at' },
  },
];

export const asteriskRetentionPlugin = fp(
  async (app: FastifyInstance) => {
    const c = app.astConfig;
    await app.register(retentionPlugin, {
      sql: app.sql,
      name: 'asterisk',
      intervalMs: c.RETENTION_INTERVAL_MS,
      rules: asteriskRetentionRules(c),
    });
  },
  { name: 'asterisk-retention', dependencies: ['asterisk-core'] },
);
