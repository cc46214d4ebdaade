import { Bucket, Window, type FakeLimits } from './limits.ts';

/** One message as the chat shows it now (after edits; `deleted` once deleted). */
export interface FakeMessage {
  messageId: number;
  chatId: number;
  text: string;
  replyMarkup: unknown;
  disableNotification: boolean;
  sentAt: number;
  edits: number;
  deleted: boolean;
}

/** One request as the fake received it. `violation`: sent before a retry_after it had answered expired. */
export interface RecordedRequest {
  t: number;
  bot: string;
  method: string;
  chatId: number | null;
  status: number;
  violation: boolean;
  description?: string;
}

export interface FakeBotState {
  id: number;
  token: string;
  username: string;
  webhook: { url: string; secretToken: string | null; lastErrorMessage: string | null };
  updates: Record<string, unknown>[];
  nextUpdateId: number;
  /** chatId → messageId → message. */
  chats: Map<number, Map<number, FakeMessage>>;
  nextMessageId: Map<number, number>;
  window: Window;
  chatLimits: Map<number, Bucket | Window>;
  /** Scope ('bot' or a chat id) → epoch ms before which any request is a violation. */
  retryUntil: Map<string, number>;
  waiters: Set<() => void>;
}

export function createBotState(b: { id: number; token: string; username: string }, limits: FakeLimits): FakeBotState {
  return {
    ...b,
    webhook: { url: '', secretToken: null, lastErrorMessage: null },
    updates: [],
    nextUpdateId: 1,
    chats: new Map(),
    nextMessageId: new Map(),
    window: new Window(limits.botPerSecond, 1000),
    chatLimits: new Map(),
    retryUntil: new Map(),
    waiters: new Set(),
  };
}

/** The limiter of one chat: private chats (positive ids) a bucket, groups (negative) a 60 s window. */
export function chatLimit(bot: FakeBotState, chatId: number, limits: FakeLimits): Bucket | Window {
  let l = bot.chatLimits.get(chatId);
  if (!l) {
    l =
      chatId > 0 ? new Bucket(limits.privatePerSecond, limits.privateBurst) : new Window(limits.groupPerMinute, 60_000);
    bot.chatLimits.set(chatId, l);
  }
  return l;
}
