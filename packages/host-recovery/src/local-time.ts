// The host's clock: its log files are named by its LOCAL date and its rows carry LOCAL times without a
// zone (shared/domain/asterisk-events.md: "the enterprise's time zone is configuration"). Pure.

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** `YYYY-MM-DD` of instant `ms` in `timeZone` (IANA). @throws RangeError for an unknown zone. */
export function localDate(ms: number, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/** The host-local dates whose logs a run reads: yesterday's first, then today's (oldest posts first). */
export function recoveryDates(nowMs: number, timeZone: string): string[] {
  const today = localDate(nowMs, timeZone);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const yesterday = new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
  return [yesterday, today];
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const t = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return t.toISOString().slice(0, 10) === s;
}

/**
 * The log file of a host-local date: `Listen_AMI_<YYYY-MM-DD>.db`. The name is built only from a date
 * that passed `isIsoDate`, so nothing else can reach the remote path. @throws RangeError otherwise.
 */
export function logFileName(date: string): string {
  if (!isIsoDate(date)) throw new RangeError(`not a date: ${JSON.stringify(date)}`);
  return `Listen_AMI_${date}.db`;
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms (Minsk: +3 h). */
function offsetAt(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(ms);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` on the host's wall clock in `timeZone` → epoch ms (UTC), or null when
 * it is not such a time. In a DST overlap the earlier instant wins; a time skipped by DST moves forward.
 */
export function hostTimeToUtc(local: string, timeZone: string): number | null {
  const m = DATE_TIME_RE.exec(local.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  const wall = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0);
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== +d!) return null;
  // Two passes settle the offset across a DST change (the first guess may use the other side's).
  let utc = wall - offsetAt(wall, timeZone);
  utc = wall - offsetAt(utc, timeZone);
  return utc;
}
