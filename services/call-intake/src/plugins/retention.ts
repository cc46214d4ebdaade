// Tier 2: retention of the tables this service owns (@fleet/retention), finished rows only. Never
// call_model_state (the live calls) and never pending work: an unprocessed event, an undelivered side
// effect or a card with something left to show stays whatever its age.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Sql } from '@fleet/db';
import { z } from '@fleet/config';
import { retentionPlugin, type RetentionRule } from '@fleet/retention';
import { retentionShape, type RetentionConfig } from '../config.ts';

export type { RetentionConfig as IntakeRetentionConfig };

export const intakeRetentionRules = (c: RetentionConfig): RetentionRule[] => [
  // An event's idempotency key dies with its row: a host replaying it later would store it again. An
  // event applied after the enterprise's last model snapshot is part of its state (model-store.ts).
  {
    table: 'call_events',
    days: c.RETENTION_CALL_EVENTS_DAYS,
    age: 'received_at',
    finished: `processed_at is not null and (processed_batch is null or processed_batch <= (
      select s.snapshot_version from call_model_state s where s.enterprise = call_events.enterprise))`,
    walk: { insertedAt: 'received_at' },
  },
  {
    table: 'intake_outbox',
    days: c.RETENTION_INTAKE_OUTBOX_DAYS,
    age: 'created_at',
    finished: "status in ('done', 'dead')",
    walk: { insertedAt: 'created_at' },
  },
  // Aged on updated_at: a card is finished when nothing is left to show and nothing changed since.
  {
    table: 'telegram_cards',
    days: c.RETENTION_TELEGRAM_CARDS_DAYS,
    age: 'updated_at',
    finished: "status in ('done', 'dead')",
    walk: { insertedAt: 'created_at' },
  },
];

/** Registers the job; without RETENTION_INTERVAL_MS in `config` (tests) it is off, runOnce still works. */
export default fp(
  async (app: FastifyInstance, opts: { sql: Sql; config: Partial<RetentionConfig> }) => {
    const defined = Object.fromEntries(Object.entries(opts.config).filter(([, v]) => v !== undefined));
    const c = { ...z.object(retentionShape).parse({}), RETENTION_INTERVAL_MS: 0, ...defined } as RetentionConfig;
    await app.register(retentionPlugin, {
      sql: opts.sql,
      name: 'call-intake',
      intervalMs: c.RETENTION_INTERVAL_MS,
      rules: intakeRetentionRules(c),
    });
  },
  { name: 'intake-retention' },
);
