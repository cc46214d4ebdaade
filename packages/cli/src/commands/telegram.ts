import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, resolveSecrets } from '@fleet/secrets';
import { botIdOf, createBotApi, TelegramApiError } from '@fleet/telegram-client';
import { defineCommand, type CommandContext } from '../command.ts';
import { CliError, conflictError, notFoundError, usageError } from '../errors.ts';
import { mask, renderTable } from '../format.ts';
import * as v from '../validate.ts';

// Operator commands for an enterprise's Telegram bot (shared/domain/telegram.md). The token is never
// printed: only its mask. It is stored encrypted (AES-256-GCM with SECRETS_KEY, bound to the
// enterprise, as the RetailCRM API key); legacy plain tokens are still read. Without DATABASE_URL (the
// local embedded database) the dev secrets apply, as for `fleet retailcrm`. Bot API calls go to
// TELEGRAM_API_ROOT (default Telegram).

const INVITE_DAYS = 7;

function botToken(t: string): string {
  if (!botIdOf(t)) throw usageError('--token must look like <digits>:<letters, digits, _ or ->');
  return t;
}

async function withApi<T>(ctx: CommandContext, fn: (api: ReturnType<typeof createBotApi>) => Promise<T>): Promise<T> {
  const api = createBotApi({
    apiRoot: ctx.env.TELEGRAM_API_ROOT || 'https://api.telegram.org',
    timeoutMs: 10_000,
    connections: 1,
  });
  try {
    return await fn(api);
  } catch (e) {
    if (e instanceof TelegramApiError) throw new CliError('FLEET_CLI_USAGE', `Telegram refused: ${e.message}`);
    throw e;
  } finally {
    await api.close();
  }
}

const secretsKey = (env: CommandContext['env']) => resolveSecrets(env, { allowDevFile: !env.DATABASE_URL }).secretsKey;

/** The stored token in clear, or null when this SECRETS_KEY cannot decrypt it. */
function readToken(env: CommandContext['env'], enterprise: string, stored: string): string | null {
  try {
    return decryptSecret(secretsKey(env), stored, enterprise);
  } catch {
    return null;
  }
}

interface Bot {
  bot_id: string;
  username: string;
  token: string;
  webhook_secret: string;
  mode: string;
  webhook_url: string | null;
  last_error: string | null;
  last_error_at: Date | null;
}

/** The enterprise's bot, its token in clear (null when unreadable with this SECRETS_KEY). */
async function botOf(ctx: CommandContext, enterprise: string): Promise<Omit<Bot, 'token'> & { token: string | null }> {
  const [bot] = await ctx.sql<Bot[]>`
    select bot_id::text, username, token, webhook_secret, mode, webhook_url, last_error, last_error_at
    from telegram_bots where enterprise = ${enterprise}`;
  if (!bot) throw notFoundError(`enterprise ${enterprise} has no bot: fleet telegram set-token`);
  return { ...bot, token: readToken(ctx.env, enterprise, bot.token) };
}

const UNREADABLE = 'the stored bot token cannot be decrypted with this SECRETS_KEY: fleet telegram set-token again';

function usableToken(bot: { token: string | null }): string {
  if (bot.token === null) throw new CliError('FLEET_CLI_USAGE', UNREADABLE);
  return bot.token;
}

const enterpriseOnly = {
  options: { enterprise: { type: 'string' as const } },
  parse: (o: Record<string, unknown>) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
  }),
};

export const telegramSetToken = defineCommand({
  group: 'telegram',
  name: 'set-token',
  summary: "set an enterprise's bot token (checked with getMe; never printed)",
  usage: 'fleet telegram set-token --enterprise <n> --token <bot token>',
  options: { enterprise: { type: 'string' }, token: { type: 'string' } },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    token: botToken(v.required(o, 'token')),
  }),
  async run({ enterprise, token }, ctx) {
    const [e] = await ctx.sql`select 1 from enterprises where number = ${enterprise}`;
    if (!e) throw notFoundError(`enterprise ${enterprise} not found`);
    const me = await withApi(ctx, (api) => api.call<{ id: number; username: string }>(token, 'getMe'));
    const [taken] =
      await ctx.sql`select enterprise from telegram_bots where bot_id = ${me.id} and enterprise <> ${enterprise}`;
    if (taken) throw conflictError(`bot @${me.username} already serves enterprise ${taken.enterprise}`);
    // The same token again keeps the webhook secret and mode (encrypted values differ each time, so
    // the comparison is on the decrypted token).
    const [old] = await ctx.sql<{ token: string }[]>`select token from telegram_bots where enterprise = ${enterprise}`;
    const same = !!old && readToken(ctx.env, enterprise, old.token) === token;
    const secret = randomBytes(24).toString('base64url');
    const stored = encryptSecret(secretsKey(ctx.env), token, enterprise);
    await ctx.sql`
      insert into telegram_bots (enterprise, bot_id, username, token, webhook_secret)
      values (${enterprise}, ${me.id}, ${me.username}, ${stored}, ${secret})
      on conflict (enterprise) do update set bot_id = excluded.bot_id, username = excluded.username, token = excluded.token,
        webhook_secret = case when ${same} then telegram_bots.webhook_secret else excluded.webhook_secret end,
        mode = case when ${same} then telegram_bots.mode else 'polling' end,
        last_error = null, updated_at = now()`;
    ctx.out(`bot @${me.username} (id ${me.id}) set for enterprise ${enterprise}, token ${mask(token)}`);
  },
});

export const telegramStatus = defineCommand({
  group: 'telegram',
  name: 'status',
  summary: "show an enterprise's bot: username, webhook or polling, pending updates, last error",
  usage: 'fleet telegram status --enterprise <n>',
  ...enterpriseOnly,
  async run({ enterprise }, ctx) {
    const bot = await botOf(ctx, enterprise);
    const info = await withApi(ctx, (api) =>
      api.call<{ url: string; pending_update_count: number; last_error_message?: string }>(
        usableToken(bot),
        'getWebhookInfo',
      ),
    ).catch((e: Error) => ({
      url: '',
      pending_update_count: NaN,
      last_error_message: `getWebhookInfo failed: ${e.message}`,
    }));
    const [r] = await ctx.sql<{ active: number; total: number }[]>`
      select count(*) filter (where active)::int as active, count(*)::int as total from telegram_recipients where enterprise = ${enterprise}`;
    ctx.out(`enterprise ${enterprise} telegram`);
    ctx.out(
      `  bot:              @${bot.username} (id ${bot.bot_id}), token ${bot.token === null ? 'encrypted (not readable with this SECRETS_KEY)' : mask(bot.token)}`,
    );
    ctx.out(
      `  mode:             ${info.url ? `webhook ${info.url}` : 'polling'}${bot.mode === 'webhook' && !info.url ? ' (webhook registered here but not at Telegram)' : ''}`,
    );
    ctx.out(`  pending updates:  ${Number.isNaN(info.pending_update_count) ? '-' : info.pending_update_count}`);
    ctx.out(`  telegram error:   ${info.last_error_message ?? '-'}`);
    ctx.out(`  last error:       ${bot.last_error ? `${bot.last_error} (${bot.last_error_at?.toISOString()})` : '-'}`);
    ctx.out(`  recipients:       ${r!.active} active of ${r!.total}`);
  },
});

export const telegramInvite = defineCommand({
  group: 'telegram',
  name: 'invite',
  summary: 'print a one-time deep link that links a chat to the enterprise',
  usage: 'fleet telegram invite --enterprise <n> [--extension <ext>] [--owner]',
  options: { enterprise: { type: 'string' }, extension: { type: 'string' }, owner: { type: 'boolean' } },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    extension: typeof o.extension === 'string' ? v.extension(o.extension) : null,
    kind: o.owner === true ? 'owner' : 'manager',
  }),
  async run({ enterprise, extension, kind }, ctx) {
    const bot = await botOf(ctx, enterprise);
    const code = randomBytes(16).toString('base64url');
    await ctx.sql`insert into telegram_invites (code, enterprise, kind, extension, expires_at)
                  values (${code}, ${enterprise}, ${kind}, ${extension}, now() + make_interval(days => ${INVITE_DAYS}))`;
    ctx.out(`https://t.me/${bot.username}?start=${code}`);
    ctx.err(`one-time ${kind} invite${extension ? ` for extension ${extension}` : ''}, valid ${INVITE_DAYS} days`);
  },
});

export const telegramRecipients = defineCommand({
  group: 'telegram',
  name: 'recipients',
  summary: "list the chats that receive an enterprise's calls",
  usage: 'fleet telegram recipients --enterprise <n>',
  ...enterpriseOnly,
  async run({ enterprise }, ctx) {
    const rows = await ctx.sql<
      { chat_id: string; kind: string; extension: string | null; active: boolean; created_at: Date }[]
    >`
      select chat_id::text, kind, extension, active, created_at from telegram_recipients where enterprise = ${enterprise} order by id`;
    if (!rows.length) return void ctx.out(`enterprise ${enterprise} has no recipients: fleet telegram invite`);
    for (const l of renderTable(
      ['CHAT', 'KIND', 'EXTENSION', 'ACTIVE', 'LINKED'],
      rows.map((r) => [
        r.chat_id,
        r.kind,
        r.extension ?? '-',
        r.active ? 'yes' : 'no',
        r.created_at.toISOString().slice(0, 16),
      ]),
    ))
      ctx.out(l);
  },
});

export const telegramWebhook = defineCommand({
  group: 'telegram',
  name: 'webhook',
  summary: 'register PUBLIC_BASE_URL/telegram/webhook/<bot id> with the bot secret (--delete: back to polling)',
  usage: 'fleet telegram webhook --enterprise <n> [--delete]',
  options: { enterprise: { type: 'string' }, delete: { type: 'boolean' } },
  parse: (o) => ({
    enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
    remove: o.delete === true,
  }),
  async run({ enterprise, remove }, ctx) {
    const bot = await botOf(ctx, enterprise);
    const token = usableToken(bot);
    if (remove) {
      await withApi(ctx, (api) => api.call(token, 'deleteWebhook'));
      await ctx.sql`update telegram_bots set mode = 'polling', webhook_url = null, updated_at = now() where enterprise = ${enterprise}`;
      return void ctx.out(`webhook of @${bot.username} deleted: polling`);
    }
    const base = ctx.env.PUBLIC_BASE_URL;
    if (!base || !/^https?:\/\//.test(base))
      throw usageError('PUBLIC_BASE_URL must be set to the public https base of call-intake');
    const url = `${base.replace(/\/+$/, '')}/telegram/webhook/${bot.bot_id}`;
    await withApi(ctx, (api) =>
      api.call(token, 'setWebhook', {
        url,
        secret_token: bot.webhook_secret,
        allowed_updates: ['message', 'callback_query'],
      }),
    );
    await ctx.sql`update telegram_bots set mode = 'webhook', webhook_url = ${url}, updated_at = now() where enterprise = ${enterprise}`;
    ctx.out(`webhook of @${bot.username}: ${url}`);
  },
});
