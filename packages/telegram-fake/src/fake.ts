// A strict fake of the Telegram Bot API (https://core.telegram.org/bots/api) for tests and the demo:
// per-bot tokens in the path, the methods the fleet uses, the flood limits answered with 429 and
// parameters.retry_after, and a record of every request (with violations: requests sent before a
// retry_after expired). The state is read in-process through the returned object.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { DEFAULT_LIMITS, type FakeLimits } from './limits.ts';
import { htmlError, plainText } from './html.ts';
import { chatLimit, createBotState, type FakeBotState, type FakeMessage, type RecordedRequest } from './state.ts';

export interface TelegramFakeOptions {
  bots: { token: string; username: string }[];
  limits?: Partial<FakeLimits>;
  logger?: boolean;
}

export interface TelegramFake {
  app: FastifyInstance;
  /** Listens on 127.0.0.1:`port` (0 = any); resolves with the API root, e.g. http://127.0.0.1:40123. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
  /** Every request in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests sent before a retry_after the fake had answered expired. */
  violations(): RecordedRequest[];
  /** Messages of a chat (deleted ones included, flagged), in send order. */
  messages(token: string, chatId: number): FakeMessage[];
  /** Chat ids that received anything from this bot. */
  chats(token: string): number[];
  bot(token: string): FakeBotState;
  /** The user blocked the bot: chat requests get 403 "Forbidden: bot was blocked by the user". */
  block(chatId: number): void;
  /** Queues an update (delivered by getUpdates; returned for a test to POST to a webhook). */
  pushUpdate(token: string, update: Record<string, unknown>): Record<string, unknown>;
  /** A user deletes a message in the app (later edits get "message to edit not found"). */
  userDeletes(token: string, chatId: number, messageId: number): void;
  /**
   * Network trouble on the way in: while on, chat requests (send/edit/delete) are held before the
   * fake sees them (not recorded, not answered). For a test that kills the sender with requests in
   * flight that never reached Telegram.
   */
  holdRequests(on: boolean): void;
  /** The answers to callback queries, in order (what the pressing user saw). */
  readonly callbackAnswers: { callbackQueryId: string; text: string; showAlert: boolean }[];
  /** How many requests are held now. */
  held(): number;
  /** Drops the held requests: their connections are cut, Telegram never saw them. */
  discardHeld(): void;
  /** Lets the held requests through (they are handled now, in the order they came). */
  releaseHeld(): void;
}

type Params = Record<string, unknown>;
type Answer = { status: number; body: Params };

const ok = (result: unknown): Answer => ({ status: 200, body: { ok: true, result } });
const fail = (status: number, description: string, parameters?: Params): Answer => ({
  status,
  body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
});
const CHAT_METHODS = new Set(['sendMessage', 'editMessageText', 'deleteMessage']);
/** How long a bot's message stays editable (48 h). */
const EDITABLE_MS = 48 * 3600 * 1000;

/** Creates the fake (not listening). Bot ids are the digits before ':' in each token. */
export function createTelegramFake(opts: TelegramFakeOptions): TelegramFake {
  const limits: FakeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const bots = new Map<string, FakeBotState>();
  for (const b of opts.bots)
    bots.set(
      b.token,
      createBotState({ id: Number(b.token.split(':')[0]), token: b.token, username: b.username }, limits),
    );
  const blocked = new Set<number>();
  const requests: RecordedRequest[] = [];
  const callbackAnswers: TelegramFake['callbackAnswers'] = [];
  let holding = false;
  const heldRequests: { settle(go: boolean): void }[] = [];

  const app = Fastify({ logger: opts.logger ?? false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.all<{ Params: { token: string; method: string } }>('/bot:token/:method', async (req, reply) => {
    const now = Date.now();
    const params = { ...(req.query as Params), ...((req.body as Params | undefined) ?? {}) };
    const bot = bots.get(req.params.token);
    const method = req.params.method;
    const chatId = params.chat_id === undefined ? null : Number(params.chat_id);
    if (!bot) return send(reply, fail(401, 'Unauthorized'));
    if (holding && CHAT_METHODS.has(method)) {
      const go = await new Promise<boolean>((resolve) => heldRequests.push({ settle: resolve }));
      if (!go) {
        reply.hijack();
        reply.raw.destroy();
        return;
      }
    }
    const rec: RecordedRequest = { t: now, bot: bot.username, method, chatId, status: 0, violation: false };
    requests.push(rec);
    const answer = await handle(bot, method, params, chatId, now, rec);
    rec.status = answer.status;
    if (!answer.body.ok) rec.description = String(answer.body.description);
    return send(reply, answer);
  });

  function send(reply: FastifyReply, a: Answer) {
    return reply.code(a.status).send(a.body);
  }

  async function handle(
    bot: FakeBotState,
    method: string,
    p: Params,
    chatId: number | null,
    now: number,
    rec: RecordedRequest,
  ): Promise<Answer> {
    if (CHAT_METHODS.has(method)) {
      if (chatId === null || !Number.isInteger(chatId)) return fail(400, 'Bad Request: chat_id is empty');
      const limited = flood(bot, chatId, now, rec);
      if (limited) return limited;
      if (blocked.has(chatId)) return fail(403, 'Forbidden: bot was blocked by the user');
    }
    switch (method) {
      case 'getMe':
        return ok({
          id: bot.id,
          is_bot: true,
          first_name: bot.username,
          username: bot.username,
          can_join_groups: true,
        });
      case 'sendMessage':
        return sendMessage(bot, chatId!, p, now);
      case 'editMessageText':
        return editMessageText(bot, chatId!, p);
      case 'deleteMessage': {
        const m = bot.chats.get(chatId!)?.get(Number(p.message_id));
        if (!m || m.deleted) return fail(400, 'Bad Request: message to delete not found');
        m.deleted = true;
        return ok(true);
      }
      case 'setWebhook':
        bot.webhook = {
          url: String(p.url ?? ''),
          secretToken: p.secret_token ? String(p.secret_token) : null,
          lastErrorMessage: null,
        };
        return ok(true);
      case 'deleteWebhook':
        bot.webhook = { url: '', secretToken: null, lastErrorMessage: null };
        return ok(true);
      case 'getWebhookInfo':
        return ok({
          url: bot.webhook.url,
          has_custom_certificate: false,
          pending_update_count: bot.updates.length,
          ...(bot.webhook.lastErrorMessage
            ? { last_error_message: bot.webhook.lastErrorMessage, last_error_date: Math.floor(now / 1000) }
            : {}),
        });
      case 'getUpdates':
        return getUpdates(bot, p);
      case 'answerCallbackQuery':
        if (!p.callback_query_id)
          return fail(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
        if (p.text !== undefined && String(p.text).length > 200) return fail(400, 'Bad Request: MESSAGE_TOO_LONG');
        callbackAnswers.push({
          callbackQueryId: String(p.callback_query_id),
          text: String(p.text ?? ''),
          showAlert: p.show_alert === true || p.show_alert === 'true',
        });
        return ok(true);
      default:
        return fail(404, 'Not Found');
    }
  }

  /** 429 when a limit is exceeded; a request inside a retry_after already answered is a violation. */
  function flood(bot: FakeBotState, chatId: number, now: number, rec: RecordedRequest): Answer | null {
    const until = Math.max(bot.retryUntil.get('bot') ?? 0, bot.retryUntil.get(String(chatId)) ?? 0);
    if (now < until) {
      rec.violation = true;
      return tooMany(until - now);
    }
    const chat = chatLimit(bot, chatId, limits);
    const waitBot = bot.window.check(now);
    const waitChat = chat.check(now);
    if (waitBot || waitChat) {
      const scope = waitChat >= waitBot ? String(chatId) : 'bot';
      const sec = Math.max(1, Math.ceil(Math.max(waitBot, waitChat) / 1000));
      bot.retryUntil.set(scope, now + sec * 1000);
      return tooMany(sec * 1000);
    }
    bot.window.take(now);
    chat.take(now);
    return null;
  }

  function tooMany(ms: number): Answer {
    const sec = Math.max(1, Math.ceil(ms / 1000));
    return fail(429, `Too Many Requests: retry after ${sec}`, { retry_after: sec });
  }

  function markupError(markup: unknown): string | null {
    const rows = (markup as { inline_keyboard?: unknown })?.inline_keyboard;
    if (markup === undefined) return null;
    if (!Array.isArray(rows)) return "Bad Request: can't parse reply keyboard markup JSON object";
    for (const row of rows)
      for (const b of row as Params[]) {
        if (typeof b.text !== 'string' || !b.text) return 'Bad Request: BUTTON_TEXT_INVALID';
        if (
          b.callback_data !== undefined &&
          (typeof b.callback_data !== 'string' || Buffer.byteLength(b.callback_data) > 64 || !b.callback_data)
        ) {
          return 'Bad Request: BUTTON_DATA_INVALID';
        }
        // A URL button takes http(s) and tg:// links only; Telegram refuses the whole message otherwise.
        if (b.url !== undefined && !buttonUrlOk(b.url)) return 'Bad Request: BUTTON_URL_INVALID';
      }
    return null;
  }

  function parseMarkup(v: unknown): unknown {
    return typeof v === 'string' ? JSON.parse(v) : v;
  }

  function textError(p: Params): string | null {
    if (typeof p.text !== 'string' || !p.text.trim()) return 'Bad Request: message text is empty';
    if (p.parse_mode !== undefined && p.parse_mode !== 'HTML')
      return 'Bad Request: unsupported parse_mode in this fake (HTML only)';
    if (p.parse_mode === 'HTML') {
      const e = htmlError(p.text);
      if (e) return e;
    }
    const visible = p.parse_mode === 'HTML' ? plainText(p.text) : p.text;
    if (visible.length > 4096) return 'Bad Request: message is too long';
    return null;
  }

  function sendMessage(bot: FakeBotState, chatId: number, p: Params, now: number): Answer {
    const err = textError(p) ?? markupError(parseMarkup(p.reply_markup));
    if (err) return fail(400, err);
    const id = (bot.nextMessageId.get(chatId) ?? 0) + 1;
    bot.nextMessageId.set(chatId, id);
    const m: FakeMessage = {
      messageId: id,
      chatId,
      text: String(p.text),
      replyMarkup: parseMarkup(p.reply_markup) ?? null,
      disableNotification: p.disable_notification === true || p.disable_notification === 'true',
      sentAt: now,
      edits: 0,
      deleted: false,
    };
    if (!bot.chats.has(chatId)) bot.chats.set(chatId, new Map());
    bot.chats.get(chatId)!.set(id, m);
    return ok({
      message_id: id,
      date: Math.floor(now / 1000),
      chat: { id: chatId, type: chatId > 0 ? 'private' : 'group' },
      text: plainText(m.text),
    });
  }

  function editMessageText(bot: FakeBotState, chatId: number, p: Params): Answer {
    const err = textError(p) ?? markupError(parseMarkup(p.reply_markup));
    if (err) return fail(400, err);
    const m = bot.chats.get(chatId)?.get(Number(p.message_id));
    if (!m || m.deleted) return fail(400, 'Bad Request: message to edit not found');
    // A bot may edit its messages for 48 hours (https://core.telegram.org/bots/api#updating-messages);
    // a test ages a message by moving its sentAt back.
    if (Date.now() - m.sentAt > EDITABLE_MS) return fail(400, "Bad Request: message can't be edited");
    const markup = parseMarkup(p.reply_markup) ?? null;
    if (m.text === p.text && JSON.stringify(m.replyMarkup) === JSON.stringify(markup)) {
      return fail(
        400,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    m.text = String(p.text);
    m.replyMarkup = markup;
    m.edits++;
    return ok({ message_id: m.messageId, chat: { id: chatId }, text: plainText(m.text) });
  }

  async function getUpdates(bot: FakeBotState, p: Params): Promise<Answer> {
    if (bot.webhook.url)
      return fail(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    const offset = Number(p.offset ?? 0);
    bot.updates = bot.updates.filter((u) => Number(u.update_id) >= offset);
    const timeout = Math.min(Number(p.timeout ?? 0), 50) * 1000;
    if (!bot.updates.length && timeout > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          bot.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeout);
        bot.waiters.add(done);
      });
    }
    return ok(bot.updates.slice(0, Number(p.limit ?? 100)));
  }

  const botOf = (token: string) => {
    const b = bots.get(token);
    if (!b) throw new Error('unknown bot token');
    return b;
  };

  return {
    app,
    async listen(port = 0) {
      await app.listen({ port, host: '127.0.0.1' });
      const addr = app.server.address() as { port: number };
      return `http://127.0.0.1:${addr.port}`;
    },
    async close() {
      for (const b of bots.values()) for (const w of [...b.waiters]) w();
      for (const h of heldRequests.splice(0)) h.settle(false);
      await app.close();
    },
    requests,
    callbackAnswers,
    violations: () => requests.filter((r) => r.violation),
    messages: (token, chatId) => [...(botOf(token).chats.get(chatId)?.values() ?? [])],
    chats: (token) => [...botOf(token).chats.keys()],
    bot: botOf,
    block: (chatId) => void blocked.add(chatId),
    pushUpdate(token, update) {
      const b = botOf(token);
      const u = { update_id: b.nextUpdateId++, ...update };
      b.updates.push(u);
      for (const w of [...b.waiters]) w();
      return u;
    },
    holdRequests(on) {
      holding = on;
    },
    held: () => heldRequests.length,
    discardHeld() {
      for (const h of heldRequests.splice(0)) h.settle(false);
    },
    releaseHeld() {
      for (const h of heldRequests.splice(0)) h.settle(true);
    },
    userDeletes(token, chatId, messageId) {
      const m = botOf(token).chats.get(chatId)?.get(messageId);
      if (m) m.deleted = true;
    },
  };
}

function buttonUrlOk(url: unknown): boolean {
  if (typeof url !== 'string' || !url) return false;
  try {
    const u = new URL(url);
    return ((u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '') || u.protocol === 'tg:';
  } catch {
    return false;
  }
}
