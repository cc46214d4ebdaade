// A host's post log (`Listen_AMI_<date>.db`, table AlternativeAPIlogs) as the hosts' listener writes
// it, generated with the same sql.js the service reads it with, and placed where the test sshd's user
// can fetch it over SFTP.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import initSqlJs from 'sql.js';

export interface LoggedPost {
  event: string;
  body: Record<string, unknown> | string;
  /** Host-local `YYYY-MM-DD HH:MM:SS`. */
  dateTime: string;
  /** true → `<Response [200]>`; false → a failure as python-requests reports it. */
  ok: boolean;
}

/** The schema of the hosts' listener (column names and types as found on hosts). */
const SCHEMA = `create table AlternativeAPIlogs (
  id integer primary key autoincrement, DateTime text, event text, Uniqueid text,
  request text, status text, response text, responseTime real)`;

const FAILURES = [
  "HTTPConnectionPool(host='intake.example', port=443): Read timed out. (read timeout=3)",
  '<Response [502]>',
  "HTTPConnectionPool(host='intake.example', port=443): Max retries exceeded (Caused by NewConnectionError('Connection refused'))",
];

export async function postLogImage(posts: LoggedPost[]): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(SCHEMA);
  posts.forEach((p, i) => {
    const request = typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
    const uid = typeof p.body === 'object' ? String(p.body.UniqueId ?? '') : '';
    db.run(
      'insert into AlternativeAPIlogs (DateTime, event, Uniqueid, request, status, response, responseTime) values (?, ?, ?, ?, ?, ?, ?)',
      [
        p.dateTime,
        p.event,
        uid,
        request,
        p.ok ? '<Response [200]>' : FAILURES[i % FAILURES.length]!,
        p.ok ? '{"status":"ok","message":"Event queued for processing"}' : '',
        p.ok ? 0.041 : 3.0,
      ],
    );
  });
  const image = db.export();
  db.close();
  return image;
}

/** Writes the log of `date` into `dir` (the host's log_dir). */
export async function writePostLog(dir: string, date: string, posts: LoggedPost[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `Listen_AMI_${date}.db`);
  await writeFile(file, await postLogImage(posts));
  return file;
}
