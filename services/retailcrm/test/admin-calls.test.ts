// The «Звонки» API (issue 14 item 3) over the test day of calls-day.ts in a real PostgreSQL: which
// missed calls count as called back (the same client in another spelling, in either direction, only
// later, only in this enterprise, never a short code), the time to callback and its medians per day and
// per first extension, the filters and paging on the server, the task of each missed call, the
// customer's name from the lookup cache only, and a 400 with the reason for every bad parameter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminWorld, loggedIn } from './admin-helpers.ts';
import { ENTERPRISE, insertEnterprise, type World } from './fixtures.ts';
import { DAY_CALLS, insertCalls, insertDayTasks } from './calls-day.ts';
import type { CallsPage } from '../src/admin/calls-read.ts';

let w: World;
let b: Awaited<ReturnType<typeof loggedIn>>;

beforeAll(async () => {
  w = await createAdminWorld({
    customers: [{ id: 7, firstName: 'Анна', lastName: 'Смирнова', phones: [{ number: '+375 29 111-11-11' }] }],
  });
  await insertEnterprise(w.sql, '202', null);
  await w.sql`update enterprises set integrations_config = integrations_config || jsonb_build_object('retailcrm',
    integrations_config->'retailcrm' || '{"user_extensions": {"18": "151"}, "record_url_template": "https://rec.example/{enterprise}/{uniqueId}.mp3"}'::jsonb)
    where number = ${ENTERPRISE}`;
  await w.sql`insert into extension_directory (enterprise, extension, name) values (${ENTERPRISE}, '151', 'Анна Смирнова'), (${ENTERPRISE}, '152', 'Борис Козлов')`;
  await insertCalls(w.sql);
  await insertDayTasks(w.sql);
  // The history record of c-1400 went out with the host's own recording link.
  await w.sql`insert into integration_logs (enterprise, kind, call_id, phone, ok, request)
    values (${ENTERPRISE}, 'calls.upload', 'c-1400', '+375447777777', true, ${w.sql.json({ calls: [{ externalId: 'c-1400', recordUrl: 'https://pbx.example/rec/c-1400.mp3' }] })})`;
  b = await loggedIn(w);
});
afterAll(() => w.close());

const calls = async (q: string) => {
  const res = await b.api('GET', `/calls${q}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as CallsPage;
};
const DAYS = '&from=2024-03-01&to=2024-03-02';

describe('calls tab API', () => {
  it("lists the enterprise's customer calls newest first, in its time zone, without internal or other enterprises' calls", async () => {
    const r = await calls(`?filter=all${DAYS}`);
    const ours = DAY_CALLS.filter((c) => !c.enterprise && c.kind !== 'internal');
    expect(r.total).toBe(ours.length);
    expect(r.rows.map((x) => x.callId)).toEqual(
      [...ours].sort((x, y) => y.startedAt - x.startedAt).map((c) => c.callId),
    );
    const answered = r.rows.find((x) => x.callId === 'c-1400')!;
    expect(answered).toMatchObject({
      local: '01.03.2024 14:00',
      direction: 'in',
      phone: '+375447777777',
      manager: { extension: '151', name: 'Анна Смирнова', userId: 18 },
      result: 'answered',
      durationSec: 120,
      recordUrl: 'https://pbx.example/rec/c-1400.mp3',
      missed: false,
      callback: null,
    });
    // No history record on file: the enterprise's template; an unanswered call has no recording.
    expect(r.rows.find((x) => x.callId === 'c-0906')!.recordUrl).toBe('https://rec.example/201/c-0906.mp3');
    expect(r.rows.find((x) => x.callId === 'c-1300')).toMatchObject({
      recordUrl: null,
      missed: false,
      result: 'no answer',
    });
    expect(r.rows.find((x) => x.callId === 'd-1000')).toMatchObject({ status: 'ringing', missed: false });
  });

  it('a missed call is called back by the first later answered call with the same national number, in or out', async () => {
    const r = await calls(`?filter=called-back${DAYS}`);
    const by = Object.fromEntries(r.rows.map((x) => [x.callId, x.callback]));
    expect(Object.keys(by).sort()).toEqual(['c-0900', 'c-1000', 'c-1005', 'd-0900']);
    expect(by['c-0900']).toMatchObject({
      callId: 'c-0906',
      afterSec: 390,
      direction: 'out',
      local: '01.03.2024 09:06',
    });
    expect(by['c-1000']).toMatchObject({ callId: 'c-1020', afterSec: 1210, direction: 'in' });
    expect(by['c-1005']).toMatchObject({ callId: 'c-1020', afterSec: 910 });
    expect(by['d-0900']).toMatchObject({ callId: 'd-0930', afterSec: 1800 });
  });

  it('still open: an answer only before the missed call, or in another enterprise, or a short code', async () => {
    const r = await calls(`?filter=open${DAYS}`);
    expect(r.rows.map((x) => x.callId)).toEqual(['c-1200', 'c-1100']);
    expect(r.rows.every((x) => x.missed && x.callback === null)).toBe(true);
    expect((await calls(`?filter=missed${DAYS}`)).total).toBe(6);
  });

  it("each missed call shows its RetailCRM task, whatever the task's status", async () => {
    const r = await calls(`?filter=missed${DAYS}`);
    const task = Object.fromEntries(r.rows.map((x) => [x.callId, x.task]));
    expect(task['c-0900']).toEqual({ id: 501, status: 'closed', closeReason: 'callback' });
    expect(task['c-1100']).toEqual({ id: 502, status: 'open', closeReason: null });
    expect(task['c-1000']).toBeNull();
  });

  it('per day and per first extension: missed calls, called back, open and the median time to callback', async () => {
    const r = await calls(`?filter=open${DAYS}`); // the summary covers the period, whatever the filter
    expect(r.counts).toEqual({ all: 13, missed: 6, calledBack: 4, open: 2, medianSec: 1060 });
    expect(r.days).toEqual([
      { day: '2024-03-01', calls: 10, missed: 5, calledBack: 3, open: 2, medianSec: 910 },
      { day: '2024-03-02', calls: 3, missed: 1, calledBack: 1, open: 0, medianSec: 1800 },
    ]);
    expect(r.managers).toEqual([
      {
        manager: { extension: '151', name: 'Анна Смирнова', userId: 18 },
        missed: 3,
        calledBack: 1,
        open: 2,
        medianSec: 390,
      },
      {
        manager: { extension: '152', name: 'Борис Козлов', userId: null },
        missed: 3,
        calledBack: 3,
        open: 0,
        medianSec: 1210,
      },
    ]);
    // A period's days are the enterprise's: 03-02 alone holds its three calls, not 03-01's evening in UTC.
    expect((await calls('?from=2024-03-02&to=2024-03-02')).counts).toMatchObject({ all: 3, missed: 1, calledBack: 1 });
  });

  it('pages on the server: 25 a page, the same order across pages', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      callId: `p-${String(i).padStart(2, '0')}`,
      direction: 'in' as const,
      phone: `+37525${String(1000000 + i)}`,
      ringing: ['151'],
      startedAt: Date.UTC(2024, 2, 5, 6, i),
    }));
    await insertCalls(w.sql, many);
    const p1 = await calls('?filter=missed&from=2024-03-05&to=2024-03-05');
    const p2 = await calls('?filter=missed&from=2024-03-05&to=2024-03-05&page=2');
    expect(p1.total).toBe(30);
    expect(p1.rows.map((x) => x.callId)).toEqual(
      many
        .slice(5)
        .reverse()
        .map((c) => c.callId),
    );
    expect(p2.rows.map((x) => x.callId)).toEqual(
      many
        .slice(0, 5)
        .reverse()
        .map((c) => c.callId),
    );
  });

  it("the customer's name comes from the lookup cache only: blank until somebody looked the number up", async () => {
    const before = await calls(`?filter=called-back${DAYS}`);
    expect(before.rows.find((x) => x.callId === 'c-0900')!.customer).toBeNull();
    await w.app.rcrmCustomerLookup(ENTERPRISE, '+375291111111');
    const after = await calls(`?filter=called-back${DAYS}`);
    expect(after.rows.find((x) => x.callId === 'c-0900')!.customer).toBe('Смирнова Анна');
    expect(after.rows.find((x) => x.callId === 'd-0900')!.customer).toBeNull(); // another spelling, not cached
  });

  it.each([
    ['?filter=lost', 'filter'],
    ['?page=0', 'page'],
    ['?page=abc', 'page'],
    ['?from=2024-02-30', 'from'],
    ['?to=yesterday', 'to'],
    ['?from=2024-03-05&to=2024-03-01', 'from'],
    ['?from=2024-01-01&to=2024-06-01', 'from, to'],
    ['?filter=open&filter=missed', 'filter'],
  ])('%s is refused with a 400 naming %s', async (q, param) => {
    const res = await b.api('GET', `/calls${q}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'RCRM_ADMIN_BAD_INPUT' });
    expect(res.json().message.startsWith(`${param}:`)).toBe(true);
  });

  it('needs the admin session', async () => {
    const res = await w.app.inject({ method: 'GET', url: '/retailcrm-admin/api/calls' });
    expect(res.statusCode).toBe(401);
  });
});
