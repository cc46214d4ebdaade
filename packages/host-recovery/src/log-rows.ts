// A host's post log (`AlternativeAPIlogs` in Listen_AMI_<date>.db) read with sql.js: SQLite compiled
// to WebAssembly, so the fleet needs no sqlite3 binary and the host needs nothing but SFTP. The image
// we open is our own in-memory copy of the fetched bytes: the host's file is never opened by SQLite,
// so we can take no lock on it and leave no journal behind.
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { RecoveryError } from './errors.ts';

/** One failed post, as the host logged it. */
export interface FailedPost {
  /** AlternativeAPIlogs.id: the host's own order of posts in that file. */
  id: number;
  dateTime: string;
  event: string;
  uniqueId: string;
  /** The JSON body the host posted. */
  request: string;
  status: string;
}

/** A post succeeded when its logged status starts with this (python-requests' repr of a 200). */
export const OK_STATUS = '<Response [200]>';

export interface LogReader {
  /** The failed posts of one log image, by id. @throws RecoveryError AST_RECOVERY_FILE_CORRUPT. */
  failedPosts(image: Uint8Array): Promise<{ total: number; failed: FailedPost[] }>;
}

/** A reader holding one initialised sql.js module (loaded on first use, ~1 MB of WebAssembly). */
export function createLogReader(): LogReader {
  let sqljs: Promise<SqlJsStatic> | null = null;
  return {
    async failedPosts(image) {
      sqljs ??= initSqlJs();
      const SQL = await sqljs;
      let db;
      try {
        db = new SQL.Database(image);
      } catch (err) {
        throw new RecoveryError('AST_RECOVERY_FILE_CORRUPT', `not an SQLite database: ${(err as Error).message}`);
      }
      try {
        db.run('pragma query_only = 1');
        const [count] = db.exec('select count(*) from AlternativeAPIlogs');
        const rows = db.exec(
          `select id, DateTime, event, Uniqueid, request, status from AlternativeAPIlogs
           where status is null or substr(status, 1, ${OK_STATUS.length}) <> '${OK_STATUS}' order by id`,
        );
        const failed = (rows[0]?.values ?? []).map(([id, dateTime, event, uniqueId, request, status]) => ({
          id: Number(id),
          dateTime: text(dateTime),
          event: text(event),
          uniqueId: text(uniqueId),
          request: text(request),
          status: text(status),
        }));
        return { total: Number(count?.values[0]?.[0] ?? 0), failed };
      } catch (err) {
        if (err instanceof RecoveryError) throw err;
        throw new RecoveryError('AST_RECOVERY_FILE_CORRUPT', `unreadable post log: ${(err as Error).message}`);
      } finally {
        db.close();
      }
    },
  };
}

const text = (v: unknown): string =>
  v === null || v === undefined ? '' : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v);
