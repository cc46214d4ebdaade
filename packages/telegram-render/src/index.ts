// @fleet/telegram-render: the pure text of managers' Telegram call cards (shared/domain/telegram.md).
export {
  renderCard,
  isLoud,
  personLabel,
  lineLabel,
  MAX_TEXT,
  COLLAPSE_OVER,
  RECOVERED_LINE,
  type CardCall,
  type CardStage,
  type RenderContext,
  type RenderedCard,
} from './card.ts';
export { formatPhone, classifyNumber, UNKNOWN_NUMBER, type NumberKind } from './phone.ts';
export { formatTime, formatDuration } from './format.ts';
export { escapeHtml, clip } from './html.ts';
export { finalKeyboard, MAX_CALLBACK_BYTES, type InlineKeyboard } from './keyboard.ts';
export {
  liveKeyboard,
  callerButtons,
  callerSuffix,
  buttonUrl,
  NEW_CLIENT,
  MAX_NAME,
  MAX_BUTTON_URL,
  type CallerIdentity,
  type CallerLinks,
} from './caller.ts';
export { callbackLine, formatDelay, formatClock, type CallbackInfo } from './callback.ts';
