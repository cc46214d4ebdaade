// Hand-made JWTs for the attacks on the admin links: `alg: none`, another algorithm (HS512 with the
// right key, RS256 with a key of the attacker's), a wrong key, tampered claims. node:crypto only, so
// the forgery does not depend on the library under test.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { LINK_AUDIENCE, LINK_ISSUER } from '../../packages/retailcrm-admin/src/links.ts';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export interface Claims {
  sub: string;
  jti: string;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
}

export const claimsFor = (enterprise: string, jti: string, over: Partial<Claims> = {}): Claims => ({
  sub: enterprise,
  jti,
  iss: LINK_ISSUER,
  aud: LINK_AUDIENCE,
  iat: Math.floor(Date.now() / 1000) - 60,
  exp: Math.floor(Date.now() / 1000) + 3600,
  ...over,
});

export function hmacJwt(alg: 'HS256' | 'HS384' | 'HS512', key: string, claims: Claims): string {
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  const digest = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${head}.${createHmac(digest, key).update(head).digest('base64url')}`;
}

export function noneJwt(claims: Claims, alg = 'none'): string {
  return `${b64({ alg, typ: 'JWT' })}.${b64(claims)}.`;
}

export function rs256Jwt(claims: Claims): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), privateKey).toString('base64url')}`;
}

/** `token` with its payload replaced by `claims` and the original signature kept. */
export function tampered(token: string, claims: Claims): string {
  const [head, , sig] = token.split('.');
  return `${head}.${b64(claims)}.${sig}`;
}
