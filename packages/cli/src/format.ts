/**
 * Masks a secret (host token, API key, client id) for display: `****` plus the last 4 characters
 * when at least 12 long (enough to tell keys apart), otherwise only `****`. Never the full value.
 */
export function mask(secret: string | null | undefined): string {
  if (!secret) return '-';
  return secret.length >= 12 ? `****${secret.slice(-4)}` : '****';
}

/** Renders rows as a left-aligned plain-text table with a header line; one string per line. */
export function renderTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
