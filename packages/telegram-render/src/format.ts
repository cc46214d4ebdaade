/**
 * Start time for people in the enterprise's time zone: `14.09.2025 12:34:56`.
 * @param ms epoch milliseconds (our clock, CallSummary.startedAt)
 */
export function formatTime(ms: number, timeZone: string): string {
  const p = zoneParts(ms, timeZone);
  return `${p.day}.${p.month}.${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

/**
 * The wall-clock fields of `ms` (epoch milliseconds) in `timeZone`, two digits each (year four):
 * { year, month, day, hour, minute, second }. @throws RangeError for an unknown time zone.
 */
export function zoneParts(
  ms: number,
  timeZone: string,
): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
  const parts = new Intl.DateTimeFormat('ru-RU', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** Seconds for people: `45 с`, `2 мин 05 с`, `1 ч 02 мин 05 с`. Negative or missing → `0 с`. */
export function formatDuration(sec: number | null): string {
  const s = Math.max(0, Math.round(sec ?? 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h) return `${h} ч ${pad(m)} мин ${pad(r)} с`;
  if (m) return `${m} мин ${pad(r)} с`;
  return `${r} с`;
}
