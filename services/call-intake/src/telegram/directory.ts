import type { Sql } from '@fleet/db';
import type { RenderContext } from '@fleet/telegram-render';
import type { BotReader } from './bots.ts';

export interface BotRow {
  enterprise: string;
  bot_id: string;
  username: string;
  token: string;
  webhook_secret: string;
  mode: 'polling' | 'webhook';
}

/** The render context of an enterprise's cards, and where its recordings are (integrations_config.retailcrm). */
export interface EnterpriseContext extends RenderContext {
  recordUrlTemplate: string | null;
  /** The enterprise's RetailCRM integration is on and has an account (the cards look callers up there). */
  crm: boolean;
}

export interface RecipientRow {
  chat_id: string;
  user_id: string | null;
  kind: 'owner' | 'manager';
  extension: string | null;
  active: boolean;
}

/**
 * Per-enterprise lookups for the worker (bot, render context, recipients), cached for `ttlMs` so a
 * burst of cards does not query them per request; operator changes show within that time.
 */
export function createDirectory(sql: Sql, bots: BotReader, ttlMs = 2000) {
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();
  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value as Promise<T>;
    const value = load();
    cache.set(key, { at: Date.now(), value });
    value.catch(() => cache.delete(key));
    return value;
  }
  return {
    /** The enterprise's bot, token decrypted. @throws SecretDecryptError (bots.ts) */
    bot: (enterprise: string) => cached(`bot:${enterprise}`, () => bots.byEnterprise(enterprise)),
    context: (enterprise: string) =>
      cached(`ctx:${enterprise}`, async (): Promise<EnterpriseContext> => {
        // The recordings' template is the one the CRM history uses, whether or not RetailCRM is enabled:
        // it says where the PBX keeps recordings, which does not depend on the CRM.
        const [e] = await sql<
          { timezone: string; phone_region: string; record_url_template: string | null; crm: boolean }[]
        >`
          select timezone, phone_region, nullif(btrim(integrations_config->'retailcrm'->>'record_url_template'), '') as record_url_template,
                 active and coalesce(integrations_config->'retailcrm'->'enabled' = 'true'::jsonb, false)
                   and coalesce(btrim(integrations_config->'retailcrm'->>'domain'), '') <> ''
                   and coalesce(btrim(integrations_config->'retailcrm'->>'api_key'), '') <> '' as crm
          from enterprises where number = ${enterprise}`;
        const ext = await sql<{ extension: string; name: string; mobile: string | null }[]>`
          select extension, name, mobile from extension_directory where enterprise = ${enterprise}`;
        const lines = await sql<
          { trunk: string; name: string }[]
        >`select trunk, name from line_directory where enterprise = ${enterprise}`;
        return {
          region: e?.phone_region ?? 'BY',
          timeZone: e?.timezone ?? 'Europe/Minsk',
          extensions: Object.fromEntries(ext.map((r) => [r.extension, r.name])),
          // A mobile the operator gave a manager (stored as digits): a FollowMe answer shows the name.
          mobiles: Object.fromEntries(ext.flatMap((r) => (r.mobile ? [[r.mobile, r.name]] : []))),
          lines: Object.fromEntries(lines.map((r) => [r.trunk, r.name])),
          recordUrlTemplate: e?.record_url_template ?? null,
          crm: e?.crm ?? false,
        };
      }),
    recipient: (enterprise: string, chatId: string) =>
      cached(`rcp:${enterprise}:${chatId}`, async () => {
        const [r] = await sql<RecipientRow[]>`
          select chat_id::text, user_id::text, kind, extension, active from telegram_recipients
          where enterprise = ${enterprise} and chat_id = ${chatId}`;
        return r ?? null;
      }),
    /** Forgets cached rows (after /start, /stop or a 403 changed a recipient). */
    forget(prefix = '') {
      for (const k of cache.keys()) if (k.includes(prefix)) cache.delete(k);
    },
  };
}

export type Directory = ReturnType<typeof createDirectory>;
