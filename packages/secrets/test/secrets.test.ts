import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, isEncrypted, parseSecretsKey, resolveSecrets } from '../src/index.ts';

const key = Buffer.alloc(32, 1);

describe('encryptSecret / decryptSecret', () => {
  it('round-trips, with a fresh IV each time and no plain text in the stored form', () => {
    const a = encryptSecret(key, 'crm-key-123', '201');
    const b = encryptSecret(key, 'crm-key-123', '201');
    expect(a).not.toBe(b);
    expect(a).not.toContain('crm-key-123');
    expect(isEncrypted(a)).toBe(true);
    expect(decryptSecret(key, a, '201')).toBe('crm-key-123');
  });

  it('returns a legacy plain value unchanged', () => {
    expect(decryptSecret(key, 'plain-legacy-key', '201')).toBe('plain-legacy-key');
  });

  it('refuses another key, another owner (aad) and a tampered value', () => {
    const v = encryptSecret(key, 'crm-key-123', '201');
    expect(() => decryptSecret(Buffer.alloc(32, 2), v, '201')).toThrow(
      expect.objectContaining({ code: 'FLEET_SECRET_UNREADABLE' }),
    );
    expect(() => decryptSecret(key, v, '202')).toThrow(expect.objectContaining({ code: 'FLEET_SECRET_UNREADABLE' }));
    const flipped = v.slice(0, -2) + (v.endsWith('A') ? 'B' : 'A') + v.slice(-1);
    expect(() => decryptSecret(key, flipped, '201')).toThrow(
      expect.objectContaining({ code: 'FLEET_SECRET_UNREADABLE' }),
    );
  });
});

describe('resolveSecrets', () => {
  it('requires both variables outside tests and development, naming the missing one', () => {
    expect(() => resolveSecrets({})).toThrow(expect.objectContaining({ variable: 'JWT_SECRET' }));
    expect(() => resolveSecrets({ JWT_SECRET: 'x'.repeat(32) })).toThrow(
      expect.objectContaining({ variable: 'SECRETS_KEY' }),
    );
    expect(() => resolveSecrets({ JWT_SECRET: 'short', SECRETS_KEY: 'ab'.repeat(32) })).toThrow(
      expect.objectContaining({ variable: 'JWT_SECRET' }),
    );
    expect(() => parseSecretsKey('abcd')).toThrow(expect.objectContaining({ variable: 'SECRETS_KEY' }));
  });

  it('takes hex or base64 keys from the environment', () => {
    const s = resolveSecrets({ JWT_SECRET: 'j'.repeat(40), SECRETS_KEY: Buffer.alloc(32, 9).toString('base64') });
    expect(s.source).toBe('env');
    expect(s.secretsKey.equals(Buffer.alloc(32, 9))).toBe(true);
  });

  it('uses fixed values under NODE_ENV=test and a persisted 0600 file under FLEET_DEV=1', () => {
    expect(resolveSecrets({ NODE_ENV: 'test' }).source).toBe('test-default');
    const dir = mkdtempSync(join(tmpdir(), 'fleet-secrets-'));
    try {
      const first = resolveSecrets({ FLEET_DEV: '1', FLEET_DATA_DIR: dir });
      const again = resolveSecrets({ FLEET_DEV: '1', FLEET_DATA_DIR: dir });
      expect(first.source).toBe('dev-file');
      expect(again.jwtSecret).toBe(first.jwtSecret);
      expect(again.secretsKey.equals(first.secretsKey)).toBe(true);
      expect(statSync(join(dir, 'dev-secrets.json')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
