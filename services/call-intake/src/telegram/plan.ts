// The card life cycle as pure functions (shared/domain/telegram.md, "The life of one call in one
// chat"): which stage an effect asks for, and which single Bot API operation brings a chat from what it
// shows to what it should show.
import type { CallEffect } from '@fleet/call-model';
import type { CardStage } from '@fleet/telegram-render';

export const STAGE_RANK: Record<CardStage, number> = { greeting: 0, ringing: 1, talking: 2, final: 3 };

/**
 * The stage an effect asks for. A customer incoming call known only from `start` (nobody rings yet)
 * is a greeting; everything else that is not answered or ended rings.
 */
export function stageOf(effect: CallEffect): CardStage {
  const c = effect.call;
  if (effect.type === 'call.ended' || c.status === 'ended') return 'final';
  if (effect.type === 'call.answered' || c.status === 'talking') return 'talking';
  if (
    effect.type === 'call.started' &&
    c.kind === 'customer' &&
    c.direction === 'in' &&
    c.ringing.length === 0 &&
    c.mobiles.length === 0
  ) {
    return 'greeting';
  }
  return 'ringing';
}

/** What one chat shows for one call, as stored in telegram_cards. */
export interface CardState {
  stage: CardStage;
  liveMessageId: number | null;
  liveText: string | null;
  finalMessageId: number | null;
  /** A callback reached the client of this missed call and the final message does not say so yet (callbacks.ts). */
  callbackPending?: boolean;
}

export type CardOp =
  | { kind: 'send'; final: boolean }
  | { kind: 'edit'; final: boolean; messageId: number }
  | { kind: 'delete'; messageId: number }
  /** Edits the final message already shown (the callback line of a missed call). */
  | { kind: 'amend'; messageId: number }
  | { kind: 'none' };

/**
 * The next operation for a card, given the text it should show. The final message is the live card
 * EDITED into the final when the final is quiet (one request instead of two, and the message keeps its
 * place in the chat), and a NEW message followed by deleting the live card when it must notify
 * (missed incoming): Telegram notifies only on new messages. Either way: exactly one final message,
 * no live card left. A card without a live message gets its final as a new message. Once the live card
 * is gone, a pending callback amends the final message (once: the worker then marks it shown).
 */
export function nextOp(card: CardState, want: { text: string; loud: boolean }): CardOp {
  if (card.stage !== 'final') {
    if (card.liveMessageId === null) return { kind: 'send', final: false };
    if (card.liveText !== want.text) return { kind: 'edit', final: false, messageId: card.liveMessageId };
    return { kind: 'none' };
  }
  if (card.finalMessageId === null) {
    if (card.liveMessageId !== null && !want.loud) return { kind: 'edit', final: true, messageId: card.liveMessageId };
    return { kind: 'send', final: true };
  }
  if (card.liveMessageId !== null && card.liveMessageId !== card.finalMessageId)
    return { kind: 'delete', messageId: card.liveMessageId };
  if (card.callbackPending) return { kind: 'amend', messageId: card.finalMessageId };
  return { kind: 'none' };
}
