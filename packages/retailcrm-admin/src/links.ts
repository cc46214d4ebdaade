// Admin links: the JWT in the module's accountUrl and in `fleet retailcrm admin-link`. HS256 pinned
// on verify with iss/aud checked (PITFALLS.md), bound to one enterprise (`sub`), and usable only while
// its `jti` row in retailcrm_admin_links is neither revoked nor expired.
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Sql } from '@fleet/db';

export const LINK_ISSUER = 'fleet-retailcrm';
export const LINK_AUDIENCE = 'retailcrm-admin';
/** Path of the link exchange; the token travels as `?token=`. */
export const AUTH_PATH = '/retailcrm-admin/auth';

export type LinkKind = 'module' | 'operator';

export interface LinkRow {
  jti: string;
  enterprise: string;
  issuedAt: Date;
  expiresAt: Date;
}

/** Why a link was refused (shown on the access-denied page in words, logged as the code). */
export type LinkRefusal = 'missing' | 'invalid' | 'expired' | 'revoked' | 'wrong_account';

/** Signs the token of a link row. Deterministic: the same row gives the same token again. */
export function signLink(secret: string, row: LinkRow): string {
  return jwt.sign(
    {
      sub: row.enterprise,
      jti: row.jti,
      iss: LINK_ISSUER,
      aud: LINK_AUDIENCE,
      iat: Math.floor(row.issuedAt.getTime() / 1000),
      exp: Math.floor(row.expiresAt.getTime() / 1000),
    },
    secret,
    { algorithm: 'HS256' },
  );
}

/** Verifies signature (HS256 only), issuer, audience and expiry; returns the claims or the refusal. */
export function verifyLink(
  secret: string,
  token: string,
): { enterprise: string; jti: string } | { refused: LinkRefusal } {
  try {
    const claims = jwt.verify(token, secret, { algorithms: ['HS256'], issuer: LINK_ISSUER, audience: LINK_AUDIENCE });
    if (
      typeof claims !== 'object' ||
      typeof claims.sub !== 'string' ||
      typeof claims.jti !== 'string' ||
      !/^\d{1,16}$/.test(claims.sub)
    ) {
      return { refused: 'invalid' };
    }
    return { enterprise: claims.sub, jti: claims.jti };
  } catch (err) {
    return { refused: (err as Error).name === 'TokenExpiredError' ? 'expired' : 'invalid' };
  }
}

/** The public URL of a link. */
export const linkUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}${AUTH_PATH}?token=${encodeURIComponent(token)}`;

/** Records a new link for `enterprise` and returns its row and token. */
export async function issueLink(
  sql: Sql,
  secret: string,
  enterprise: string,
  kind: LinkKind,
  ttlDays: number,
): Promise<LinkRow & { token: string }> {
  const jti = randomBytes(18).toString('base64url');
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const expiresAt = new Date(issuedAt.getTime() + ttlDays * 86_400_000);
  await sql`insert into retailcrm_admin_links (jti, enterprise, kind, issued_at, expires_at)
            values (${jti}, ${enterprise}, ${kind}, ${issuedAt}, ${expiresAt})`;
  const row = { jti, enterprise, issuedAt, expiresAt };
  return { ...row, token: signLink(secret, row) };
}

/** The link registered as the module's accountUrl now, if any (newest unrevoked 'module' link). */
export async function currentModuleLink(sql: Sql, enterprise: string): Promise<LinkRow | undefined> {
  const [row] = await sql<{ jti: string; issued_at: Date; expires_at: Date }[]>`
    select jti, issued_at, expires_at from retailcrm_admin_links
    where enterprise = ${enterprise} and kind = 'module' and revoked_at is null and expires_at > now()
    order by issued_at desc, jti limit 1`;
  return row ? { jti: row.jti, enterprise, issuedAt: row.issued_at, expiresAt: row.expires_at } : undefined;
}

/**
 * Whether a verified link is still usable: recorded, for that enterprise, not revoked, not expired.
 * A jti recorded for another enterprise than the token claims is 'wrong_account', not 'revoked': the
 * admin is told the link belongs elsewhere.
 */
export async function linkState(
  sql: Sql,
  enterprise: string,
  jti: string,
): Promise<'ok' | 'revoked' | 'expired' | 'wrong_account'> {
  const [row] = await sql<{ enterprise: string; revoked: boolean; expired: boolean }[]>`
    select enterprise, revoked_at is not null as revoked, expires_at <= now() as expired
    from retailcrm_admin_links where jti = ${jti}`;
  if (!row) return 'revoked';
  if (row.enterprise !== enterprise) return 'wrong_account';
  if (row.revoked) return 'revoked';
  return row.expired ? 'expired' : 'ok';
}

/**
 * Revokes every usable link of `enterprise` except `keep.jti`. With `endSessions` (the default: the
 * integration is deleted, or an operator revokes by hand) the admin sessions of the enterprise end
 * too; a re-registration passes false: it replaces the link in RetailCRM's accountUrl, which is no
 * reason to throw out admins who are already in (their sessions still expire after
 * ADMIN_SESSION_TTL_HOURS, and deleting the integration ends them).
 */
export async function revokeLinks(
  sql: Sql,
  enterprise: string,
  reason: string,
  keep: { jti?: string; endSessions?: boolean } = {},
): Promise<number> {
  return sql.begin(async (tx) => {
    const revoked = await tx`
      update retailcrm_admin_links set revoked_at = now(), revoked_reason = ${reason}
      where enterprise = ${enterprise} and revoked_at is null and jti <> ${keep.jti ?? ''}
      returning jti`;
    if (keep.endSessions !== false) await tx`delete from retailcrm_admin_sessions where enterprise = ${enterprise}`;
    return revoked.length;
  });
}
