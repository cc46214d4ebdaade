import { callerButtons, type CallerIdentity } from './caller.ts';

/** Telegram's limit on callback_data (bytes). */
export const MAX_CALLBACK_BYTES = 64;

export interface InlineKeyboard {
  inline_keyboard: ({ text: string; callback_data: string } | { text: string; url: string })[][];
}

/**
 * Buttons of a final message: "Позвонить с <ext>" when the recipient has an extension, and a details
 * link when given; below them the CRM buttons from `caller`'s links (caller.ts). `callbackData` must be
 * an opaque id (never an enterprise secret), ≤ 64 bytes. Returns undefined when there is no button.
 * @throws RangeError when callbackData exceeds 64 bytes
 */
export function finalKeyboard(opts: {
  extension?: string | null;
  callbackData: string;
  detailsUrl?: string | null;
  caller?: CallerIdentity | null;
}): InlineKeyboard | undefined {
  if (Buffer.byteLength(opts.callbackData, 'utf8') > MAX_CALLBACK_BYTES)
    throw new RangeError('callback_data exceeds 64 bytes');
  const row: InlineKeyboard['inline_keyboard'][number] = [];
  if (opts.extension) row.push({ text: `Позвонить с ${opts.extension}`, callback_data: opts.callbackData });
  if (opts.detailsUrl) row.push({ text: 'Подробнее', url: opts.detailsUrl });
  const rows = [row, callerButtons(opts.caller)].filter((r) => r.length);
  return rows.length ? { inline_keyboard: rows } : undefined;
}
