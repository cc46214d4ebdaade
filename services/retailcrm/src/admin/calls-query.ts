// The «Звонки» tab's query string → a checked query (pure). Bad input is a 400 with the reason, not a
// silent default: the page only sends what its controls produce, so anything else is a caller's mistake.
import { BadInputError } from '@fleet/retailcrm-admin';

/** all: every customer call; missed: incoming, nobody answered; called-back / open: missed ones with / without a later answered call. */
export const CALL_FILTERS = ['all', 'missed', 'called-back', 'open'] as const;
export type CallFilter = (typeof CALL_FILTERS)[number];

export interface CallsQuery {
  filter: CallFilter;
  page: number;
  /** YYYY-MM-DD, inclusive, in the enterprise's time zone. */
  from: string;
  to: string;
}

export const CALLS_PAGE_SIZE = 25;
/** The range the summary and the callback search cover at most: a quarter keeps every read bounded. */
export const MAX_RANGE_DAYS = 92;
const DEFAULT_DAYS = 7;
const DAY_MS = 86_400_000;

const dayMs = (v: string) => Date.parse(`${v}T00:00:00Z`);
const isDay = (v: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= '1970-01-01' && new Date(dayMs(v) || Number.NaN).toISOString().startsWith(v);
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Today in `timeZone` as YYYY-MM-DD. */
export const todayIn = (timeZone: string, now = Date.now()) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);

/**
 * `q` (strings from the query string) → the query; defaults: filter all, page 1, the last 7 days up to
 * `today`. @throws BadInputError (400, RCRM_ADMIN_BAD_INPUT) naming the parameter.
 */
export function parseCallsQuery(q: Record<string, unknown>, today: string): CallsQuery {
  for (const [k, v] of Object.entries(q))
    if (typeof v !== 'string') throw new BadInputError(`${k}: укажите одно значение`);
  const s = q as Record<string, string | undefined>;
  const filter = s.filter ?? 'all';
  if (!(CALL_FILTERS as readonly string[]).includes(filter))
    throw new BadInputError(`filter: одно из ${CALL_FILTERS.join(', ')}`);
  const page = s.page === undefined ? 1 : /^\d{1,5}$/.test(s.page) ? Number(s.page) : 0;
  if (page < 1) throw new BadInputError('page: номер страницы от 1 до 99999');
  for (const k of ['from', 'to'] as const)
    if (s[k] !== undefined && !isDay(s[k])) throw new BadInputError(`${k}: дата в виде ГГГГ-ММ-ДД`);
  const to = s.to ?? (s.from && s.from > today ? s.from : today);
  const from = s.from ?? isoDay(dayMs(to) - (DEFAULT_DAYS - 1) * DAY_MS);
  if (from > to) throw new BadInputError('from: начало периода позже его конца');
  if ((dayMs(to) - dayMs(from)) / DAY_MS + 1 > MAX_RANGE_DAYS)
    throw new BadInputError(`from, to: период не длиннее ${MAX_RANGE_DAYS} дней`);
  return { filter: filter as CallFilter, page, from, to };
}
