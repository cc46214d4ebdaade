// Coded errors of a recovery run (prefix AST_RECOVERY_). Each is one entry of recovery_runs.errors;
// none of them stops the run of another file or another enterprise.

export type RecoveryErrorCode =
  | 'AST_RECOVERY_NO_HOST' // the enterprise has no asterisk_hosts row
  | 'AST_RECOVERY_FILE_MISSING' // no log for that date on the host
  | 'AST_RECOVERY_FILE_BUSY' // a write transaction is open (hot -journal) or the log is in WAL mode
  | 'AST_RECOVERY_FILE_TOO_LARGE' // over RECOVERY_MAX_FILE_BYTES
  | 'AST_RECOVERY_FILE_CORRUPT' // not an SQLite database, or no AlternativeAPIlogs table
  | 'AST_RECOVERY_FETCH_FAILED' // SFTP failed or timed out
  | 'AST_RECOVERY_HOST'; // the SSH connection itself (key mismatch, unreachable, auth): see `cause`

export class RecoveryError extends Error {
  constructor(
    readonly code: RecoveryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RecoveryError';
  }
}
