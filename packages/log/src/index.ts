import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino censors in every log line. Secrets are redacted by configuration, not by discipline
 * (STYLE.md rule 8): host tokens, API keys, bot tokens, JWTs, client ids and passwords wherever they
 * appear in request logs or bound objects.
 */
export const REDACT_PATHS = [
  'req.headers.token',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'headers.token',
  'headers["x-api-key"]',
  'token',
  'Token',
  'apiKey',
  'api_key',
  'clientId',
  'client_id',
  'password',
  'secret',
  'jwt',
  '*.token',
  '*.Token',
  '*.apiKey',
  '*.api_key',
  '*.clientId',
  '*.client_id',
  '*.password',
  '*.secret',
  '*.jwt',
  '*.*.token',
  '*.*.Token',
  '*.*.apiKey',
  '*.*.api_key',
  '*.*.client_id',
];

export interface LogOptions {
  /** Service or tool name, bound as `service`. */
  name: string;
  level?: string;
  /** Human-readable lines (pino-pretty) instead of JSON; for `pnpm start` on a terminal. */
  pretty?: boolean;
}

/** Pino options (for Fastify's `logger` option) with the fleet's redaction and bindings. */
export function logOptions(opts: LogOptions): LoggerOptions {
  return {
    level: opts.level ?? 'info',
    base: { service: opts.name },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(opts.pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

/** A standalone pino logger (CLI, workers outside a Fastify instance). */
export function createLogger(opts: LogOptions): Logger {
  return pino(logOptions(opts));
}

/** Replaces an API key or token with a short, non-reversible mask for journals: `abcd…(32)`. */
export function maskSecret(value: string | null | undefined): string {
  if (!value) return '';
  return value.length <= 6 ? '***' : `${value.slice(0, 2)}…(${value.length})`;
}
