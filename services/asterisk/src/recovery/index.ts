// Recovery of what the hosts failed to deliver: public surface for the service and the CLI.
export { runRecovery, RecoveryRefused, type RecoveryDeps, type RecoverySummary, type FileReport, type RecoveryIssue } from './run.ts';
export { createLogReader, OK_STATUS, type LogReader, type FailedPost } from './log-rows.ts';
export { recoveryDates, logFileName, isIsoDate, hostTimeToUtc, localDate } from './local-time.ts';
export { toRecoveredEvent, type RecoveredEvent } from './to-event.ts';
export { RecoveryError, type RecoveryErrorCode } from './errors.ts';
