// Admin browser sessions: a random id in an httpOnly cookie, its sha256 in retailcrm_admin_sessions.
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '@fleet/db';

export const SESSION_COOKIE = 'rcrm_admin';

export interface AdminSession {
  idHash: string;
  enterprise: string;
  jti: string;
}

export const hashSessionId = (id: string) => createHash('sha256').update(id).digest('hex');

/** Opens a session for a verified link; returns the raw id for the cookie. */
export async function openSession(sql: Sql, enterprise: string, jti: string, ttlHours: number): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  await sql`insert into retailcrm_admin_sessions (id_hash, enterprise, jti, expires_at)
            values (${hashSessionId(id)}, ${enterprise}, ${jti}, now() + ${ttlHours} * interval '1 hour')`;
  return id;
}

/** The live session behind a cookie value, or undefined (unknown, expired, link deleted). */
export async function findSession(sql: Sql, id: string | undefined): Promise<AdminSession | undefined> {
  if (!id || id.length > 100) return undefined;
  const idHash = hashSessionId(id);
  const [row] = await sql<{ enterprise: string; jti: string }[]>`
    update retailcrm_admin_sessions set last_seen_at = now()
    where id_hash = ${idHash} and expires_at > now()
    returning enterprise, jti`;
  return row ? { idHash, enterprise: row.enterprise, jti: row.jti } : undefined;
}

export async function closeSession(sql: Sql, idHash: string): Promise<void> {
  await sql`delete from retailcrm_admin_sessions where id_hash = ${idHash}`;
}
