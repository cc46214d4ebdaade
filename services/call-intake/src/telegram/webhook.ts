import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SecretDecryptError } from '@fleet/secrets';
import type { BotReader } from './bots.ts';
import type { BotRow } from './directory.ts';
import { InvalidUpdate, TokenUnreadable, UnknownBot, WebhookUnauthorized } from './errors.ts';
import { parseUpdate, type UpdateHandler } from './updates.ts';

/**
 * `POST /telegram/webhook/:botId`: one endpoint for every enterprise's bot. Telegram echoes the
 * bot's secret in X-Telegram-Bot-Api-Secret-Token (set with setWebhook); anything else is 401.
 * Answers 200 once handled: a non-2xx would make Telegram redeliver the update.
 */
export function webhookRoutes(app: FastifyInstance, opts: { bots: BotReader; handle: UpdateHandler }): void {
  app.post<{ Params: { botId: string } }>('/telegram/webhook/:botId', { bodyLimit: 256 * 1024 }, async (req, reply) => {
    const botId = req.params.botId;
    if (!/^\d{1,20}$/.test(botId)) throw new UnknownBot(botId);
    let bot: BotRow | null;
    try {
      bot = await opts.bots.byId(botId);
    } catch (e) {
      // 503: Telegram redelivers the update once the operator has fixed SECRETS_KEY.
      if (e instanceof SecretDecryptError) throw new TokenUnreadable();
      throw e;
    }
    if (!bot) throw new UnknownBot(botId);
    const given = Buffer.from(String(req.headers['x-telegram-bot-api-secret-token'] ?? ''));
    const expected = Buffer.from(bot.webhook_secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookUnauthorized();
    const parsed = parseUpdate(req.body);
    if (!parsed.ok) throw new InvalidUpdate(parsed.reason);
    await opts.handle(bot, parsed.update);
    return reply.code(200).send({ ok: true });
  });
}
