import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Sql } from '@fleet/db';
import type { BotRow } from './directory.ts';
import { UnknownBot, WebhookUnauthorized } from './errors.ts';
import type { TelegramUpdate, UpdateHandler } from './updates.ts';

/**
 * `POST /telegram/webhook/:botId`: one endpoint for every enterprise's bot. Telegram echoes the
 * bot's secret in X-Telegram-Bot-Api-Secret-Token (set with setWebhook); anything else is 401.
 * Answers 200 once handled: a non-2xx would make Telegram redeliver the update.
 */
export function webhookRoutes(app: FastifyInstance, opts: { sql: Sql; handle: UpdateHandler }): void {
  app.post<{ Params: { botId: string } }>('/telegram/webhook/:botId', { bodyLimit: 256 * 1024 }, async (req, reply) => {
    const botId = req.params.botId;
    if (!/^\d{1,20}$/.test(botId)) throw new UnknownBot(botId);
    const [bot] = await opts.sql<BotRow[]>`
      select enterprise, bot_id::text, username, token, webhook_secret, mode from telegram_bots where bot_id = ${botId}`;
    if (!bot) throw new UnknownBot(botId);
    const given = Buffer.from(String(req.headers['x-telegram-bot-api-secret-token'] ?? ''));
    const expected = Buffer.from(bot.webhook_secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookUnauthorized();
    await opts.handle(bot, req.body as TelegramUpdate);
    return reply.code(200).send({ ok: true });
  });
}
