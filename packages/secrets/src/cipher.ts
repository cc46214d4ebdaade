// AES-256-GCM for secrets stored in the database (RetailCRM API keys). One implementation for the
// CLI that writes them and the services that read them.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Prefix of an encrypted value: `enc:v1:<iv>:<tag>:<ciphertext>`, each part base64url. */
export const ENCRYPTED_PREFIX = 'enc:v1:';

/** A secret value could not be decrypted (wrong SECRETS_KEY, tampered or truncated value). */
export class SecretDecryptError extends Error {
  readonly code = 'FLEET_SECRET_UNREADABLE';
  constructor(message: string) {
    super(message);
  }
}

/** True when `value` is in the encrypted form (anything else is a legacy plain value). */
export const isEncrypted = (value: string): boolean => value.startsWith(ENCRYPTED_PREFIX);

/**
 * Encrypts `plain` with a 32-byte key; a fresh 96-bit IV per call, so equal inputs differ.
 * `aad` (e.g. the enterprise number) binds the value to its owner: copying it to another row fails.
 */
export function encryptSecret(key: Buffer, plain: string, aad = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${ENCRYPTED_PREFIX}${iv.toString('base64url')}:${tag.toString('base64url')}:${ct.toString('base64url')}`;
}

/**
 * Decrypts a value written by encryptSecret; a legacy plain value (no prefix) is returned as it is.
 * @throws SecretDecryptError when the key, the aad or the value does not match.
 */
export function decryptSecret(key: Buffer, stored: string, aad = ''): string {
  if (!isEncrypted(stored)) return stored;
  const parts = stored.slice(ENCRYPTED_PREFIX.length).split(':');
  if (parts.length !== 3) throw new SecretDecryptError('malformed encrypted value');
  const [iv, tag, ct] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
  if (iv.length !== 12 || tag.length !== 16) throw new SecretDecryptError('malformed encrypted value');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptError('cannot decrypt: wrong SECRETS_KEY or tampered value');
  }
}
