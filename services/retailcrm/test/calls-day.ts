// A test day of customer calls for the «Звонки» tab, written into call-intake's `calls` projection as its
// processor writes them (one row per call, the summary alongside), in Europe/Minsk (UTC+3). What a
// reader should expect from it (2024-03-01 … 03-02):
//   09:00 missed from +375 29 111-11-11 (rang 151) → called back 09:06:30 by 151 dialling 80291111111: 6 min 30 s
//   10:00 and 10:05 missed from 375292222222 (rang 152, then 151) → both called back by 152 answering at
//         10:20:10 (an incoming call): 20 min 10 s and 15 min 10 s
//   11:00 missed from 8 033 333-33-33 (rang 151) → open: answered only at 08:00 before it, and at 11:30 by
//         another enterprise
//   12:00 missed from 105 (a short code: never matched) → open
//   13:00 outgoing to 291234567 by 152, no answer (not a missed call); 14:00 incoming answered by 151, 2 min
//   03-02 09:00 missed from 291111111 (rang 152) → called back 09:30 by 152: 30 min; 03-02 10:00 still ringing
// Missed 6, called back 4 (median 1060 s), open 2; 03-01: 5 / 3 / median 910 s; 03-02: 1 / 1 / 1800 s;
// per first extension: 151 → 3 missed, 1 called back (390 s); 152 → 3, 3 (1210 s).
import type { Sql } from '@fleet/db';

const minsk = (day: number, hh: number, mm: number, ss = 0) => Date.UTC(2024, 2, day, hh - 3, mm, ss);

export interface DayCall {
  enterprise?: string;
  callId: string;
  kind?: 'customer' | 'internal';
  direction: 'in' | 'out' | 'internal';
  phone: string;
  ringing: string[];
  answeredBy?: string;
  status?: 'ringing' | 'talking' | 'ended';
  result?: string;
  startedAt: number;
  answeredAt?: number;
  durationSec?: number;
}

export const DAY_CALLS: DayCall[] = [
  {
    callId: 'c-0800',
    direction: 'in',
    phone: '80333333333',
    ringing: ['151'],
    answeredBy: '151',
    startedAt: minsk(1, 8, 0),
    answeredAt: minsk(1, 8, 0, 10),
    durationSec: 60,
  },
  { callId: 'c-0900', direction: 'in', phone: '+375291111111', ringing: ['151'], startedAt: minsk(1, 9, 0) },
  {
    callId: 'c-0906',
    direction: 'out',
    phone: '80291111111',
    ringing: ['151'],
    answeredBy: '151',
    startedAt: minsk(1, 9, 6),
    answeredAt: minsk(1, 9, 6, 30),
    durationSec: 95,
  },
  { callId: 'c-1000', direction: 'in', phone: '375292222222', ringing: ['152', '151'], startedAt: minsk(1, 10, 0) },
  { callId: 'c-1005', direction: 'in', phone: '375292222222', ringing: ['152', '151'], startedAt: minsk(1, 10, 5) },
  {
    callId: 'c-1020',
    direction: 'in',
    phone: '+375 29 222-22-22',
    ringing: ['152'],
    answeredBy: '152',
    startedAt: minsk(1, 10, 20),
    answeredAt: minsk(1, 10, 20, 10),
    durationSec: 40,
  },
  { callId: 'c-1100', direction: 'in', phone: '80333333333', ringing: ['151'], startedAt: minsk(1, 11, 0) },
  {
    enterprise: '202',
    callId: 'x-1130',
    direction: 'in',
    phone: '80333333333',
    ringing: ['151'],
    answeredBy: '151',
    startedAt: minsk(1, 11, 30),
    answeredAt: minsk(1, 11, 30, 5),
    durationSec: 30,
  },
  { callId: 'c-1200', direction: 'in', phone: '105', ringing: ['151'], startedAt: minsk(1, 12, 0) },
  {
    callId: 'c-1210',
    kind: 'internal',
    direction: 'internal',
    phone: '152',
    ringing: ['151'],
    startedAt: minsk(1, 12, 10),
  },
  {
    callId: 'c-1300',
    direction: 'out',
    phone: '291234567',
    ringing: ['152'],
    startedAt: minsk(1, 13, 0),
    result: 'no answer',
  },
  {
    callId: 'c-1400',
    direction: 'in',
    phone: '+375447777777',
    ringing: ['151'],
    answeredBy: '151',
    startedAt: minsk(1, 14, 0),
    answeredAt: minsk(1, 14, 0, 5),
    durationSec: 120,
  },
  { callId: 'd-0900', direction: 'in', phone: '291111111', ringing: ['152'], startedAt: minsk(2, 9, 0) },
  {
    callId: 'd-0930',
    direction: 'out',
    phone: '+375291111111',
    ringing: ['152'],
    answeredBy: '152',
    startedAt: minsk(2, 9, 29, 30),
    answeredAt: minsk(2, 9, 30),
    durationSec: 61,
  },
  {
    callId: 'd-1000',
    direction: 'in',
    phone: '+375295555555',
    ringing: ['151'],
    status: 'ringing',
    startedAt: minsk(2, 10, 0),
  },
];

/** Inserts `calls` (enterprise 201 unless a call names another, which must exist). */
export async function insertCalls(sql: Sql, calls: DayCall[] = DAY_CALLS, enterprise = '201'): Promise<void> {
  for (const c of calls) {
    const status = c.status ?? 'ended';
    const answered = c.answeredAt !== undefined;
    const ended = status === 'ended' ? (c.answeredAt ?? c.startedAt) + (c.durationSec ?? 0) * 1000 + 20_000 : null;
    const result = status === 'ended' ? (c.result ?? (answered ? 'answered' : 'no answer')) : null;
    const summary = {
      callId: c.callId,
      kind: c.kind ?? 'customer',
      direction: c.direction,
      phone: c.phone,
      trunk: 'line-1',
      ringing: c.ringing,
      mobiles: [],
      status,
      answered,
      answeredBy: c.answeredBy ?? null,
      result,
      startedAt: c.startedAt,
      answeredAt: c.answeredAt ?? null,
      endedAt: ended,
      durationSec: status === 'ended' ? (c.durationSec ?? 0) : null,
    };
    await sql`
      insert into calls (enterprise, call_id, kind, direction, phone, trunk, ringing, answered_by, status, result,
                         started_at, answered_at, ended_at, duration_sec, summary)
      values (${c.enterprise ?? enterprise}, ${c.callId}, ${summary.kind}, ${c.direction}, ${c.phone}, 'line-1', ${c.ringing},
              ${summary.answeredBy}, ${status}, ${result}, ${new Date(c.startedAt)},
              ${c.answeredAt === undefined ? null : new Date(c.answeredAt)}, ${ended === null ? null : new Date(ended)},
              ${summary.durationSec}, ${sql.json(summary)})`;
  }
}

/** The tasks of the day (issue 14): c-0900's closed by its callback, c-1100's still open in RetailCRM. */
export async function insertDayTasks(sql: Sql, enterprise = '201'): Promise<void> {
  const at = (id: string) => DAY_CALLS.find((c) => c.callId === id)!.startedAt;
  await sql`
    insert into retailcrm_missed_tasks (enterprise, phone_key, phone, status, created_by, task_id, performer_id, calls, closed_at, closed_by, close_reason)
    values (${enterprise}, '291111111', '+375291111111', 'closed', 'c-0900', 501, 18, ${sql.json([{ callId: 'c-0900', at: at('c-0900') }])}, now(), 'c-0906', 'callback'),
           (${enterprise}, '333333333', '80333333333', 'open', 'c-1100', 502, 18, ${sql.json([{ callId: 'c-1100', at: at('c-1100') }])}, null, null, null)`;
}
