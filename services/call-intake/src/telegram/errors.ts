import createError from '@fastify/error';

// Coded errors of call-intake's Telegram part (prefix INTAKE_TELEGRAM_).
export const WebhookUnauthorized = createError(
  'INTAKE_TELEGRAM_WEBHOOK_UNAUTHORIZED',
  'bad or missing X-Telegram-Bot-Api-Secret-Token',
  401,
);
export const TokenUnreadable = createError(
  'INTAKE_TELEGRAM_TOKEN_UNREADABLE',
  'the bot token cannot be decrypted with SECRETS_KEY',
  503,
);
export const UnknownBot = createError('INTAKE_TELEGRAM_UNKNOWN_BOT', 'unknown bot %s', 404);
export const InvalidUpdate = createError('INTAKE_TELEGRAM_INVALID_UPDATE', 'not a Telegram update: %s', 400);
