// @fleet/retention: one way for every service to delete its finished rows once they are old enough.
export { sweep, type RetentionRule, type SweepLimits } from './sweep.ts';
export {
  createRetentionJob,
  RETENTION_LOCK_NS,
  type RetentionJob,
  type RetentionJobOptions,
  type RetentionLog,
  type RetentionPass,
} from './job.ts';
export { retentionPlugin, type RetentionPluginOptions } from './plugin.ts';
