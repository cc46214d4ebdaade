// A minimal Telegram Bot API client on undici (one keep-alive pool per API root, timeouts on every
// request). Chosen over grammY's Api: grammY brings node-fetch@2 (PITFALLS.md) and its own retry
// plugins, while delivery here must own the 429 handling itself (pause the bot for exactly
// retry_after, then re-plan the card), so all we need is "call method, get result or a typed error".
// The token is part of the URL path: it never appears in an error message or a log line from here.
import { Pool } from 'undici';

/** A Bot API error answer (`ok: false`) or a transport failure (status 0). Branch on the helpers below. */
export class TelegramApiError extends Error {
  readonly code = 'TELEGRAM_API_ERROR';
  constructor(
    readonly method: string,
    /** HTTP status / error_code; 0 when the request never got an answer. */
    readonly status: number,
    readonly description: string,
    /** parameters.retry_after in seconds (429 only). */
    readonly retryAfter: number | null,
  ) {
    super(`${method}: ${status || 'network'} ${description}`);
  }
}

export interface BotApiOptions {
  /** https://api.telegram.org, or a fake / local Bot API server (TELEGRAM_API_ROOT). */
  apiRoot: string;
  timeoutMs?: number;
  connections?: number;
}

export interface BotApi {
  /**
   * Calls `method` with JSON `params` for the bot `token`; resolves with `result`.
   * @throws TelegramApiError on `ok: false` or a network/timeout failure (token never in the message)
   */
  call<T = unknown>(
    token: string,
    method: string,
    params?: Record<string, unknown>,
    opts?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<T>;
  close(): Promise<void>;
}

export function createBotApi(opts: BotApiOptions): BotApi {
  const root = new URL(opts.apiRoot);
  const base = root.pathname.replace(/\/+$/, '');
  const timeout = opts.timeoutMs ?? 10_000;
  const pool = new Pool(root.origin, {
    connections: opts.connections ?? 64,
    connectTimeout: timeout,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  return {
    async call<T>(
      token: string,
      method: string,
      params: Record<string, unknown> = {},
      o: { signal?: AbortSignal; timeoutMs?: number } = {},
    ) {
      let status = 0;
      let body: {
        ok?: boolean;
        result?: T;
        description?: string;
        error_code?: number;
        parameters?: { retry_after?: number };
      };
      try {
        const t = o.timeoutMs ?? timeout;
        const res = await pool.request({
          path: `${base}/bot${token}/${method}`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
          signal: o.signal,
          headersTimeout: t,
          bodyTimeout: t,
        });
        status = res.statusCode;
        body = (await res.body.json()) as typeof body;
      } catch (err) {
        const e = err as Error & { code?: string };
        throw new TelegramApiError(method, status, (e.code ?? e.name ?? 'error').replaceAll(token, '***'), null);
      }
      if (body.ok) return body.result as T;
      throw new TelegramApiError(
        method,
        body.error_code ?? status,
        String(body.description ?? 'no description'),
        body.parameters?.retry_after ?? null,
      );
    },
    close: () => pool.close(),
  };
}

/** 429 Too Many Requests: wait `retryAfter` seconds before the next request to that bot or chat. */
export const isFlood = (e: unknown): e is TelegramApiError => e instanceof TelegramApiError && e.status === 429;
/** 403: the user blocked the bot, or the bot was kicked from the group. */
export const isForbidden = (e: unknown) => e instanceof TelegramApiError && e.status === 403;
/** 400 "message is not modified": the text shown is already the one we wanted. */
export const isNotModified = (e: unknown) =>
  e instanceof TelegramApiError && e.status === 400 && /message is not modified/i.test(e.description);
/** 400 "message to edit/delete not found" (or too old to delete): the message is gone for us. */
export const isMessageGone = (e: unknown) =>
  e instanceof TelegramApiError &&
  e.status === 400 &&
  /message to (edit|delete) not found|message can't be (deleted|edited)|MESSAGE_ID_INVALID/i.test(e.description);
/** No answer, or a 5xx: worth retrying later. */
export const isTransient = (e: unknown) => e instanceof TelegramApiError && (e.status === 0 || e.status >= 500);

/** Telegram's bot id: the digits before ':' in the token (public; names the webhook path). */
export function botIdOf(token: string): string | null {
  const m = /^(\d{1,20}):[A-Za-z0-9_-]{1,200}$/.exec(token);
  return m ? m[1]! : null;
}
