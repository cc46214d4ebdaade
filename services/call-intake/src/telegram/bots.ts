import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '@fleet/db';
import { decryptSecret, encryptSecret, isEncrypted, SecretDecryptError } from '@fleet/secrets';
import type { BotRow } from './directory.ts';

/**
 * Reads telegram_bots rows with the token decrypted (AES-256-GCM with SECRETS_KEY, bound to the
 * enterprise, as `fleet telegram set-token` stores it). A legacy plain token is still read, and is
 * stored encrypted in its place on first read, so existing bots need no migration step.
 * Lookups throw SecretDecryptError (FLEET_SECRET_UNREADABLE) when the token cannot be decrypted
 * (another SECRETS_KEY) or when it is encrypted and no key was given.
 */
export function createBotReader(sql: Sql, key: Buffer | null, log: FastifyBaseLogger) {
  async function open(row: BotRow | undefined): Promise<BotRow | null> {
    if (!row) return null;
    const stored = row.token;
    if (isEncrypted(stored)) {
      if (!key) throw new SecretDecryptError('bot token is encrypted and SECRETS_KEY is not configured');
      return { ...row, token: decryptSecret(key, stored, row.enterprise) };
    }
    if (key) {
      // Only if the row still holds this plain token (an operator may be setting a new one).
      await sql`update telegram_bots set token = ${encryptSecret(key, stored, row.enterprise)}
                where enterprise = ${row.enterprise} and token = ${stored}`
        .then(() => log.info({ enterprise: row.enterprise }, 'telegram: legacy plain bot token stored encrypted'))
        .catch((err: unknown) =>
          log.warn({ enterprise: row.enterprise, err }, 'telegram: could not encrypt a legacy bot token'),
        );
    }
    return row;
  }
  return {
    byEnterprise: async (enterprise: string) =>
      open(
        (
          await sql<BotRow[]>`
        select enterprise, bot_id::text, username, token, webhook_secret, mode from telegram_bots where enterprise = ${enterprise}`
        )[0],
      ),
    byId: async (botId: string) =>
      open(
        (
          await sql<BotRow[]>`
        select enterprise, bot_id::text, username, token, webhook_secret, mode from telegram_bots where bot_id = ${botId}`
        )[0],
      ),
  };
}

export type BotReader = ReturnType<typeof createBotReader>;
