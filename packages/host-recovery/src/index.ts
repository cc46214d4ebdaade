// Recovery of what the hosts failed to deliver (issue 7 §7): read a host's post log over SSH, re-ingest
// the failed posts as call events. services/asterisk runs it on a schedule, `fleet recover` on demand.
export {
  runRecovery,
  RecoveryRefused,
  type RecoveryDeps,
  type RecoverySummary,
  type FileReport,
  type RecoveryIssue,
} from './run.ts';
export { createLogReader, OK_STATUS, type LogReader, type FailedPost } from './log-rows.ts';
export { recoveryDates, logFileName, isIsoDate, hostTimeToUtc, localDate } from './local-time.ts';
export { toRecoveredEvent, type RecoveredEvent } from './to-event.ts';
export { RecoveryError, type RecoveryErrorCode } from './errors.ts';
