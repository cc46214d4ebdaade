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

/**
 * Query parameters whose values are secrets. RetailCRM's makeCallUrl and status callbacks are GETs
 * with `?clientId=`, makecallexternal takes `?clientId=<originate secret>`, admin links `?token=<JWT>`:
 * a request line would otherwise carry them into every log.
 */
export const SECRET_QUERY_PARAMS = ['clientid', 'client_id', 'token', 'apikey', 'api_key', 'secret', 'password', 'jwt'];

/** `url` with the values of SECRET_QUERY_PARAMS replaced by `[redacted]` (names matched case-insensitively). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq < 0 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // a malformed escape: compare the raw name
      }
      return eq >= 0 && SECRET_QUERY_PARAMS.includes(name.toLowerCase().replace(/\[.*$/, ''))
        ? `${pair.slice(0, eq)}=[redacted]`
        : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** Fastify's request serializer (same fields) with secret query parameters redacted from the URL. */
function requestSerializer(req: {
  method?: string;
  url?: string;
  version?: string;
  host?: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    version: req.version,
    host: req.host ?? req.hostname,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

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
    serializers: { req: requestSerializer },
    ...(opts.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
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
