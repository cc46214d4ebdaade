/**
 * Escapes a dynamic value for Telegram's HTML parse mode: only `<`, `>`, `&` and `"` are special
 * (https://core.telegram.org/bots/api#html-style). Every value that did not come from this package's
 * own literals passes through here.
 */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Cuts a dynamic value to `max` characters (before escaping, so that no entity is cut in half). */
export function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
