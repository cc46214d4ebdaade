// Telegram's HTML parse mode as the Bot API checks it (https://core.telegram.org/bots/api#html-style):
// only the listed tags, properly nested, and `<`, `>`, `&` escaped everywhere else. Anything else is
// 400 "can't parse entities" — the predecessor's unescaped client names failed exactly like this.

const TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);
const ENTITY = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/;

/** Returns null when `text` is valid HTML-mode text, else the error description Telegram would give. */
export function htmlError(text: string): string | null {
  const stack: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '&') {
      if (!ENTITY.test(text.slice(i, i + 12)))
        return `Bad Request: can't parse entities: unsupported start tag or entity at byte offset ${i}`;
    } else if (ch === '>') {
      return `Bad Request: can't parse entities: unexpected '>' at byte offset ${i}`;
    } else if (ch === '<') {
      const end = text.indexOf('>', i);
      if (end < 0) return `Bad Request: can't parse entities: unclosed start tag at byte offset ${i}`;
      const tag = text.slice(i + 1, end);
      const closing = tag.startsWith('/');
      const name = (closing ? tag.slice(1) : tag).split(/\s/, 1)[0]!.toLowerCase();
      if (!TAGS.has(name))
        return `Bad Request: can't parse entities: unsupported start tag "${name}" at byte offset ${i}`;
      if (closing) {
        if (stack.pop() !== name)
          return `Bad Request: can't parse entities: unmatched end tag at byte offset ${i}, expected "</${stack.at(-1) ?? ''}>", found "</${name}>"`;
      } else {
        const attrs = tag.slice(name.length).trim();
        if (/[<&]/.test(attrs.replace(/&(amp|lt|gt|quot);/g, '')))
          return `Bad Request: can't parse entities: bad attribute at byte offset ${i}`;
        if (name === 'a' && !/^href="[^"]*"$/.test(attrs))
          return `Bad Request: can't parse entities: bad link at byte offset ${i}`;
        stack.push(name);
      }
      i = end;
    }
  }
  if (stack.length)
    return `Bad Request: can't parse entities: can't find end tag corresponding to start tag "${stack.at(-1)}"`;
  return null;
}

/** The visible text (tags removed, entities decoded), whose length Telegram limits to 4096. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}
