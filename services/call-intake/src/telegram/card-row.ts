import type { CallSummary } from '@fleet/call-model';
import type { CallbackInfo, CardStage } from '@fleet/telegram-render';

/** A telegram_cards row as the card worker reads it (ids as text: bigint). */
export interface CardRow {
  id: string;
  enterprise: string;
  call_id: string;
  chat_id: string;
  stage: CardStage;
  call: CallSummary;
  version: number;
  live_message_id: string | null;
  live_text: string | null;
  final_message_id: string | null;
  attempts: number;
  /** The call that reached this missed call's client, and whether the final message says so (callbacks.ts). */
  callback: CallbackInfo | null;
  callback_shown: boolean;
}

/** The select list of a CardRow. */
export const COLUMNS =
  'id::text, enterprise, call_id, chat_id::text, stage, call, version, live_message_id::text, live_text, final_message_id::text, attempts, callback, callback_shown';
