// JWT_SECRET and SECRETS_KEY: required configuration, except in tests (NODE_ENV=test: fixed,
// well-known values) and local development (FLEET_DEV=1, and `pnpm start`: random values generated
// once and kept in FLEET_DATA_DIR/dev-secrets.json so that links and stored keys survive restarts).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '@fleet/config';

export interface FleetSecrets {
  /** HMAC key of the admin links (HS256), at least 32 characters. */
  jwtSecret: string;
  /** AES-256-GCM key, 32 bytes. */
  secretsKey: Buffer;
  /** Where the values came from (never the values). */
  source: 'env' | 'test-default' | 'dev-file';
}

/** Test-only values: public, so never acceptable outside NODE_ENV=test. */
const TEST_JWT_SECRET = 'test-only-jwt-secret-0123456789abcdef0123456789';
const TEST_SECRETS_KEY = Buffer.alloc(32, 7);

/**
 * Parses SECRETS_KEY: 64 hex digits or base64 of 32 bytes.
 * @throws ConfigError naming SECRETS_KEY.
 */
export function parseSecretsKey(value: string): Buffer {
  const v = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (key.length !== 32)
    throw new ConfigError('SECRETS_KEY', 'must be 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)');
  return key;
}

function parseJwtSecret(value: string): string {
  if (value.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters (openssl rand -hex 32)');
  return value;
}

/** The file `pnpm start` and FLEET_DEV=1 keep generated development secrets in. */
export const devSecretsPath = (env: Record<string, string | undefined>) =>
  resolve(env.FLEET_DATA_DIR ?? '.data', 'dev-secrets.json');

/** Reads FLEET_DATA_DIR/dev-secrets.json, creating it (mode 0600) with random values when missing. */
export function loadOrCreateDevSecrets(env: Record<string, string | undefined>): {
  JWT_SECRET: string;
  SECRETS_KEY: string;
} {
  const path = devSecretsPath(env);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as { JWT_SECRET: string; SECRETS_KEY: string };
  const fresh = { JWT_SECRET: randomBytes(32).toString('hex'), SECRETS_KEY: randomBytes(32).toString('hex') };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return fresh;
}

/**
 * JWT_SECRET and SECRETS_KEY from `env`; when missing: fixed values under NODE_ENV=test, the
 * dev-secrets file under FLEET_DEV=1 (or when `allowDevFile`, e.g. the CLI on the embedded database).
 * @throws ConfigError naming the missing or malformed variable.
 */
export function resolveSecrets(
  env: Record<string, string | undefined>,
  opts: { allowDevFile?: boolean } = {},
): FleetSecrets {
  const jwt = env.JWT_SECRET?.trim();
  const key = env.SECRETS_KEY?.trim();
  if (jwt && key) return { jwtSecret: parseJwtSecret(jwt), secretsKey: parseSecretsKey(key), source: 'env' };
  if (env.NODE_ENV === 'test') {
    return {
      jwtSecret: jwt ? parseJwtSecret(jwt) : TEST_JWT_SECRET,
      secretsKey: key ? parseSecretsKey(key) : TEST_SECRETS_KEY,
      source: 'test-default',
    };
  }
  if (env.FLEET_DEV === '1' || opts.allowDevFile) {
    const dev = loadOrCreateDevSecrets(env);
    return {
      jwtSecret: parseJwtSecret(jwt || dev.JWT_SECRET),
      secretsKey: parseSecretsKey(key || dev.SECRETS_KEY),
      source: 'dev-file',
    };
  }
  throw new ConfigError(
    jwt ? 'SECRETS_KEY' : 'JWT_SECRET',
    'is required (set FLEET_DEV=1 for generated development values)',
  );
}
