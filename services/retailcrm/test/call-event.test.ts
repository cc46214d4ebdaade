// What RetailCRM observes for one call: a popup per dial with the right codes and userIds, and on
// hangup the popup's end plus exactly one history record, whatever the gateway retries.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answered, call, createWorld, dial, hangup, markDialed, missed, post, type World } from './fixtures.ts';

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());
afterEach(async () => {
  w.fake.reset();
  await w.sql`truncate retailcrm_call_steps, integration_logs`;
});

describe('dial → popup', () => {
  it('shows the popup to the new extensions and the users mapped to them', async () => {
    const res = await post(w.app, dial(call(), ['151', '152']));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', steps: [{ step: 'event:dial:dial:1', outcome: 'done' }] });
    expect(w.fake.state.events.map((e) => e.event)).toEqual([
      {
        type: 'in',
        phone: '+375440000001',
        codes: ['151', '152'],
        userIds: [18, 19],
        callExternalId: '1709276405.101',
      },
    ]);
  });

  it('regression: an extension nobody is mapped to gets a code only, never some other manager', async () => {
    await post(w.app, dial(call(), ['153']));
    expect(w.fake.state.events[0]!.event).toEqual({
      type: 'in',
      phone: '+375440000001',
      codes: ['153'],
      callExternalId: '1709276405.101',
    });
  });

  it('an outgoing call pops up as type out for the dialling extension', async () => {
    await post(w.app, dial(call({ direction: 'out', ringing: ['152'] }), ['152']));
    expect(w.fake.state.events[0]!.event).toMatchObject({ type: 'out', codes: ['152'], userIds: [19] });
  });

  it('a hangup whose call never got a popup (its dial refused or lost) opens it for everybody who rang, then closes it', async () => {
    const res = await post(w.app, hangup(missed()));
    expect(res.json().steps).toEqual([
      { step: 'event:dial:synthetic', outcome: 'done' },
      { step: 'event:hangup', outcome: 'done' },
      { step: 'upload', outcome: 'done' },
    ]);
    expect(w.fake.state.events.map((e) => [e.event.type, e.event.codes])).toEqual([
      ['in', ['151', '152']],
      ['hangup', ['151', '152']],
    ]);
    // Retried: nothing is repeated; the popup it opened counts as the call's dial.
    expect((await post(w.app, hangup(missed()))).json().steps.map((x: { outcome: string }) => x.outcome)).toEqual([
      'already_done',
      'already_done',
    ]);
    expect(w.fake.state.events).toHaveLength(2);
  });

  it('stepwise ringing adds the new managers with a new dedup_key', async () => {
    await post(w.app, dial(call({ ringing: ['151'] }), ['151'], 'dial:1'));
    await post(w.app, dial(call(), ['152'], 'dial:2'));
    expect(w.fake.state.events.map((e) => e.event.codes)).toEqual([['151'], ['152']]);
  });

  it('a dial after the hangup is superseded', async () => {
    await markDialed(w, call().callId);
    await post(w.app, hangup(missed()));
    const res = await post(w.app, dial(call(), ['151']));
    expect(res.json().steps[0]).toMatchObject({ outcome: 'superseded' });
    expect(w.fake.state.events.map((e) => e.event.type)).toEqual(['hangup']);
  });
});

describe('hangup → popup end + one history record', () => {
  it('missed incoming call: hangupStatus "no answered", result "no answer", Minsk date, no manager', async () => {
    await markDialed(w);
    const res = await post(w.app, hangup(missed()));
    expect(res.statusCode).toBe(200);
    expect(res.json().steps).toEqual([
      { step: 'event:hangup', outcome: 'done' },
      { step: 'upload', outcome: 'done' },
    ]);
    expect(w.fake.state.events.map((e) => e.event)).toEqual([
      {
        type: 'hangup',
        hangupStatus: 'no answered',
        phone: '+375440000001',
        codes: ['151', '152'],
        userIds: [18, 19],
        callExternalId: '1709276405.101',
      },
    ]);
    expect(w.fake.state.uploads.map((u) => u.call)).toEqual([
      {
        date: '2024-03-01 10:00:05',
        type: 'in',
        phone: '+375440000001',
        result: 'no answer',
        duration: 0,
        durationWaiting: 20,
        externalId: '1709276405.101',
      },
    ]);
  });

  it('answered call names the manager (code + userId) and links the recording from the template', async () => {
    await markDialed(w);
    await post(w.app, hangup(answered()));
    expect(w.fake.state.events[0]!.event.hangupStatus).toBe('answered');
    expect(w.fake.state.uploads[0]!.call).toEqual({
      date: '2024-03-01 10:00:05',
      type: 'in',
      phone: '+375440000001',
      code: '151',
      userId: 18,
      result: 'answered',
      duration: 60,
      durationWaiting: 7,
      externalId: '1709276405.101',
      recordUrl: 'https://rec.example/201/1709276405.101.mp3',
    });
  });

  it('record_url from the gateway wins over the template', async () => {
    await post(w.app, hangup(answered(), { record_url: 'https://pbx.example/rec/x.wav' }));
    expect(w.fake.state.uploads[0]!.call.recordUrl).toBe('https://pbx.example/rec/x.wav');
  });

  it('answered on a mobile: answered, but no code and no userId', async () => {
    await post(
      w.app,
      hangup(answered({ answeredBy: '375290000002', mobiles: ['375290000002'], talkedWith: ['375290000002'] })),
    );
    const up = w.fake.state.uploads[0]!.call;
    expect(up.result).toBe('answered');
    expect(up).not.toHaveProperty('code');
    expect(up).not.toHaveProperty('userId');
  });

  it('answered by an unmapped extension: its code, no invented userId', async () => {
    await post(w.app, hangup(answered({ answeredBy: '153', ringing: ['153'] })));
    expect(w.fake.state.events[0]!.event).not.toHaveProperty('userIds');
    expect(w.fake.state.uploads[0]!.call).toMatchObject({ code: '153' });
    expect(w.fake.state.uploads[0]!.call).not.toHaveProperty('userId');
  });

  it('busy outgoing call: type out, busy, the dialling manager', async () => {
    await markDialed(w);
    await post(
      w.app,
      hangup(call({ direction: 'out', ringing: ['152'], status: 'ended', result: 'busy', durationSec: 0, waitSec: 3 })),
    );
    expect(w.fake.state.events[0]!.event).toMatchObject({ type: 'hangup', hangupStatus: 'busy' });
    expect(w.fake.state.uploads[0]!.call).toMatchObject({ type: 'out', result: 'busy', code: '152', userId: 19 });
  });

  it('a hangup nobody rang for writes the history record without a popup end', async () => {
    const res = await post(w.app, hangup(missed({ ringing: [] })));
    expect(res.json().steps).toEqual([
      { step: 'event:hangup', outcome: 'skipped', reason: 'nobody rang' },
      { step: 'upload', outcome: 'done' },
    ]);
    expect(w.fake.state.events).toHaveLength(0);
    expect(w.fake.state.uploads).toHaveLength(1);
  });

  it('no client phone (anonymous): nothing is sent, RetailCRM would refuse it', async () => {
    const res = await post(w.app, hangup(missed({ phone: '' })));
    expect(res.statusCode).toBe(200);
    expect(w.fake.state.requests).toBe(0);
  });
});

describe('retries never repeat a side effect', () => {
  it('the same hangup twice: one event, one upload; the retry answers already_done', async () => {
    await markDialed(w);
    expect((await post(w.app, hangup(answered()))).statusCode).toBe(200);
    const again = await post(w.app, hangup(answered()));
    expect(again.statusCode).toBe(200);
    expect(again.json().steps).toEqual([
      { step: 'event:hangup', outcome: 'already_done' },
      { step: 'upload', outcome: 'already_done' },
    ]);
    expect(w.fake.state.events).toHaveLength(1);
    expect(w.fake.state.uploads).toHaveLength(1);
    expect(w.fake.state.duplicateUploads).toBe(0);
  });

  it('the same dial twice: one popup', async () => {
    await post(w.app, dial(call(), ['151']));
    await post(w.app, dial(call(), ['151']));
    expect(w.fake.state.events).toHaveLength(1);
  });

  it('a concurrent retry while the step runs gets 409 RCRM_STEP_IN_PROGRESS, and the CRM sees one event', async () => {
    w.fake.setFaults({ hangNext: 1, hangMs: 400 });
    const first = post(w.app, dial(call(), ['151']));
    await new Promise((r) => setTimeout(r, 100));
    const second = await post(w.app, dial(call(), ['151']));
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'RCRM_STEP_IN_PROGRESS', step: 'event:dial:dial:1' });
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await first).statusCode).toBe(200);
    expect(w.fake.state.events).toHaveLength(1);
  });

  it('a step left running by a crashed worker is performed again once its lease ran out', async () => {
    await w.sql`insert into retailcrm_call_steps (enterprise, call_id, step, status, lease_until)
      values ('201', '1709276405.101', 'event:dial:dial:1', 'running', now() - interval '1 second')`;
    const res = await post(w.app, dial(call(), ['151']));
    expect(res.statusCode).toBe(200);
    expect(w.fake.state.events).toHaveLength(1);
  });
});

describe('RetailCRM failures', () => {
  it('CRM 503 after the client retries → 503 RCRM_UPSTREAM_UNAVAILABLE; the later retry delivers once', async () => {
    w.fake.setFaults({ fail503Next: 10 });
    const res = await post(w.app, dial(call(), ['151']));
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: 'RCRM_UPSTREAM_UNAVAILABLE',
      reason: 'RCRM_RATE_LIMITED',
      step: 'event:dial:dial:1',
    });
    w.fake.setFaults({});
    expect((await post(w.app, dial(call(), ['151']))).statusCode).toBe(200);
    expect(w.fake.state.events).toHaveLength(1);
  });

  it('the journal holds every attempt, in order, by the time the gateway hears 200', async () => {
    w.fake.setFaults({ fail503Next: 1 }); // the client's one retry (RETAILCRM_RETRIES=1) gets through
    const res = await post(w.app, dial(call(), ['151']));
    expect(res.statusCode).toBe(200);
    // Read at once: the journal is written off the step's path but awaited before the answer.
    const rows = await w.sql<{ status_code: number; ok: boolean; state: string }[]>`
      select status_code, ok, state from integration_logs where call_id = ${call().callId} order by id`;
    expect(rows).toEqual([
      { status_code: 503, ok: false, state: 'done' },
      { status_code: 200, ok: true, state: 'done' },
    ]);
    expect(w.fake.state.events).toHaveLength(1);
  });

  it('an attempt is in the journal before it reaches RetailCRM, so a kill mid-request leaves it on record', async () => {
    w.fake.setFaults({ hangNext: 1, hangMs: 600 }); // answered late, within the client's timeout
    const pending = post(w.app, dial(call(), ['151']));
    let rows: { state: string; ok: boolean; error: string | null }[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      rows = await w.sql`select state, ok, error from integration_logs where call_id = ${call().callId}`;
    }
    // The request is still hanging at the CRM: a process killed now would leave exactly this row.
    expect(w.fake.state.events).toHaveLength(0);
    expect(rows).toEqual([{ state: 'sent', ok: false, error: expect.stringMatching(/^RCRM_NO_ANSWER: /) }]);
    expect((await pending).statusCode).toBe(200);
    expect(await w.sql`select state, ok, status_code from integration_logs where call_id = ${call().callId}`).toEqual([
      { state: 'done', ok: true, status_code: 200 },
    ]);
  });

  it('upload unavailable after the popup ended: the retry performs only the upload', async () => {
    await markDialed(w);
    w.fake.setFaults({ fail503Next: 10, path: '/api/v5/telephony/calls/upload' });
    const res = await post(w.app, hangup(missed()));
    expect(res.statusCode).toBe(503);
    expect(res.json().steps).toEqual([{ step: 'event:hangup', outcome: 'done' }]);
    w.fake.setFaults({});
    const again = await post(w.app, hangup(missed()));
    expect(again.json().steps).toEqual([
      { step: 'event:hangup', outcome: 'already_done' },
      { step: 'upload', outcome: 'done' },
    ]);
    expect(w.fake.state.events).toHaveLength(1);
    expect(w.fake.state.uploads).toHaveLength(1);
  });

  it('a call/event that timed out is never repeated (no idempotency key): unknown, 200, and a retry sends nothing', async () => {
    w.fake.setFaults({ hangNext: 5, hangMs: 1500 });
    const res = await post(w.app, dial(call(), ['151']));
    expect(res.statusCode).toBe(200);
    expect(res.json().steps).toEqual([
      { step: 'event:dial:dial:1', outcome: 'unknown', reason: expect.stringContaining('not repeated') },
    ]);
    const rows =
      await w.sql`select status_code, ok, error, step from integration_logs where call_id = ${call().callId}`;
    expect(rows).toEqual([
      { status_code: null, ok: false, error: expect.stringMatching(/^RCRM_TIMEOUT/), step: 'event:dial:dial:1' },
    ]);
    w.fake.setFaults({});
    expect((await post(w.app, dial(call(), ['151']))).json().steps).toEqual([
      { step: 'event:dial:dial:1', outcome: 'already_done' },
    ]);
    expect(await w.sql`select 1 from integration_logs where call_id = ${call().callId}`).toHaveLength(1);
  });

  it('a popup end whose attempt was cut by a kill (journal row left "sent") is not sent again when its lease runs out', async () => {
    await markDialed(w);
    await w.sql`insert into retailcrm_call_steps (enterprise, call_id, step, status, lease_until)
      values ('201', ${call().callId}, 'event:hangup', 'running', now() - interval '1 second')`;
    await w.sql`insert into integration_logs (enterprise, integration, kind, call_id, ok, error, state, step)
      values ('201', 'retailcrm', 'call.event', ${call().callId}, false, 'RCRM_NO_ANSWER: sent', 'sent', 'event:hangup')`;
    const res = await post(w.app, hangup(missed()));
    expect(res.json().steps).toEqual([
      { step: 'event:hangup', outcome: 'unknown', reason: expect.any(String) },
      { step: 'upload', outcome: 'done' },
    ]);
    expect(w.fake.state.events).toHaveLength(0);
    expect(w.fake.state.uploads).toHaveLength(1);
  });

  it('a history upload that timed out is retried inside the client (calls/upload is idempotent by externalId): done once', async () => {
    await markDialed(w);
    w.fake.setFaults({ hangNext: 1, hangMs: 1500, path: '/api/v5/telephony/calls/upload' });
    const res = await post(w.app, hangup(missed()));
    expect(res.statusCode).toBe(200);
    expect(res.json().steps.map((x: { outcome: string }) => x.outcome)).toEqual(['done', 'done']);
    expect(w.fake.state.uploads).toHaveLength(1);
  });
});

describe('bad input from the gateway', () => {
  // The gateway refuses such bodies too; this service stores what it is sent (integration_logs,
  // steps) in jsonb, so it must not turn an unstorable body into a 5xx the gateway retries for ever.
  it('answers 400 RCRM_BODY_UNSTORABLE for an unpaired surrogate or a NUL, and sends nothing to RetailCRM', async () => {
    for (const body of [
      { ...dial(call(), ['151']), dedup_key: 'k\udd1b' },
      dial(call({ phone: '37544\u00000000001' }), ['151']),
    ]) {
      const res = await post(w.app, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'RCRM_BODY_UNSTORABLE' });
    }
    expect(w.fake.state.events).toEqual([]);
  });
});
