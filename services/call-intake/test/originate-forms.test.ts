// Issue 15.2: a click's outbound leg is tied to its originate record by what the host really sends.
// The hosts' contract lets the dial of a click-to-call (scenario 1-2: manager 151 → 375440000001)
// carry `Extensions [""]`, `["SIP/151"]`, or name the extension only in CallerIDNum or the channel
// (`Local/151@web-originate-…;2`). Each form, matched by number + time window within the enterprise
// (src/processor/originates.ts), must give what a user sees for a click: one popup for 151 marked as
// our click, one hangup, a history record with the manager; and, through the processor against
// PostgreSQL, its originate record confirmed. A different extension, a different number, a record
// too old or another enterprise's record never match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeHostEvent, type HostEventType } from '@fleet/asterisk-events';
import {
  advanceTime,
  applyEvents,
  emptyState,
  nextDeadline,
  type CallEffect,
  type CallSummary,
  type ModelState,
} from '@fleet/call-model';
import type { Sql, TestDatabase } from '@fleet/db';
import { originateLookup, type OriginateRecord } from '../src/processor/originates.ts';
import { addEnterprise, intake, scenario, withDatabase, type ScenarioEvent } from './helpers.ts';

const T0 = Date.UTC(2025, 8, 13, 12, 0, 0);
const RECORD: OriginateRecord = {
  correlation_id: 'click-1',
  extension: '151',
  phone: '375440000001',
  requested_by: 'crm:18',
  created_at: new Date(T0 - 1_200),
};

type Form = [name: string, change: (body: Record<string, unknown>) => Record<string, unknown>];
/** How the click's outbound dial (and its hangup) may name the manager. */
const FORMS: Form[] = [
  ['Extensions [""]', (b) => ({ ...b, Extensions: [''] })],
  ['Extensions ["SIP/151"]', (b) => ({ ...b, Extensions: ['SIP/151'] })],
  ['the extension only in CallerIDNum', (b) => ({ ...b, Extensions: [''], CallerIDNum: '151' })],
  [
    'the extension only in the channel name',
    (b) => ({ ...b, Extensions: [''], Channel: 'Local/151@web-originate-0000a1b2;2' }),
  ],
];

/** Scenario 1-2 with its dial and hangup rewritten to `form`. */
const clickEvents = (form: Form[1]): ScenarioEvent[] =>
  scenario('1-2').map((e) => (e.event === 'dial' || e.event === 'hangup' ? { ...e, body: form(e.body) } : e));

/** The pure model over the events (500 ms apart), driven to the end, with `records` as the seam. */
function model(events: ScenarioEvent[], records: OriginateRecord[]) {
  const opts = { originates: originateLookup(records) };
  const normalized = events.map((e, i) =>
    normalizeHostEvent(e.event as HostEventType, e.body, { seq: i + 1, receivedAt: T0 + i * 500 }),
  );
  let state: ModelState = emptyState();
  const r = applyEvents(state, normalized, opts);
  const effects: CallEffect[] = [...r.effects];
  state = r.state;
  for (let d = nextDeadline(state), n = 0; d !== null && n < 100; d = nextDeadline(state), n++) {
    const step = advanceTime(state, d, opts);
    effects.push(...step.effects);
    state = step.state;
  }
  const ended = effects.filter((e) => e.type === 'call.ended');
  const popups = effects.flatMap((e) => (e.type === 'call.ringing' ? e.newExtensions : []));
  return { effects, ended, popups, history: ended[0]?.call as CallSummary | undefined };
}

describe('click-to-call legs tied to their originate record, whatever form the host sends', () => {
  it.each(FORMS)('%s: one popup for 151 marked as our click, one hangup, history with the manager', (_name, form) => {
    const m = model(clickEvents(form), [RECORD]);
    expect(m.popups).toEqual(['151']);
    const popup = m.effects.find((e) => e.type === 'call.ringing')!;
    expect(popup.call.originatedBy).toEqual({
      originateId: 'click-1',
      extension: '151',
      phone: '375440000001',
      requestedBy: 'crm:18',
    });
    expect(m.ended).toHaveLength(1);
    expect(m.history).toMatchObject({
      direction: 'out',
      kind: 'customer',
      phone: '375440000001',
      answered: true,
      answeredBy: '151',
    });
    expect(m.history!.originatedBy?.originateId).toBe('click-1');
  });

  it.each(FORMS)(
    '%s: no record of ours, a record of another extension or number, or one too old → not our click',
    (_name, form) => {
      const other = (over: Partial<OriginateRecord>) => [{ ...RECORD, ...over }];
      const cases = [[], other({ phone: '375440000002' }), other({ created_at: new Date(T0 - 10 * 60_000) })];
      // A leg that names its extension somewhere is not another extension's click; one that names none
      // (Extensions [""] alone) can only be matched by number and time, and the record names the manager.
      if (_name !== 'Extensions [""]') cases.push(other({ extension: '152' }));
      for (const records of cases) {
        const m = model(clickEvents(form), records);
        // (A Local leg matching no record is the model's FollowMe case: no call of its own at all.)
        expect(m.ended.length).toBeLessThanOrEqual(1);
        expect(m.effects.filter((e) => e.call.originatedBy !== null)).toEqual([]);
      }
    },
  );
});

describe('through the processor against PostgreSQL: the record is confirmed by the leg', () => {
  let db: TestDatabase;
  let sql: Sql;
  beforeAll(async () => {
    ({ db, sql } = await withDatabase());
  });
  afterAll(async () => {
    await sql.end();
    await db.drop();
  });

  it.each(FORMS.map((f, i) => [...f, i] as const))('%s', async (_name, form, i) => {
    const enterprise = String(310 + i);
    const token = `TOKEN-${enterprise}`;
    await addEnterprise(sql, enterprise, token);
    // Another enterprise's click to the same number at the same time stays unconfirmed.
    const neighbour = String(320 + i);
    await addEnterprise(sql, neighbour, `TOKEN-${neighbour}`);
    await sql`insert into originates (correlation_id, enterprise, extension, phone, requested_by, status)
              values (${`mine-${i}`}, ${enterprise}, '151', '375440000001', 'crm:18', 'accepted'),
                     (${`theirs-${i}`}, ${neighbour}, '151', '375440000001', 'crm:18', 'accepted')`;
    const app = await intake(sql, {});
    try {
      for (const e of clickEvents(form)) {
        const res = await app.inject({ method: 'POST', url: `/${e.event}`, payload: { ...e.body, Token: token } });
        expect(res.statusCode).toBe(200);
      }
      await app.processor.sweep();
      await app.processor.sweep();
    } finally {
      await app.close();
    }
    const rows = await sql<{ correlation_id: string; status: string }[]>`
      select correlation_id, status from originates where correlation_id in (${`mine-${i}`}, ${`theirs-${i}`}) order by correlation_id`;
    expect(rows).toEqual([
      { correlation_id: `mine-${i}`, status: 'confirmed' },
      { correlation_id: `theirs-${i}`, status: 'accepted' },
    ]);
  });
});
