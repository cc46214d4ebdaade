// From stored events to gateway deliveries: the call model applied per enterprise after the commit,
// the outbox rows it implies (customer calls only), idempotent under replays and restarts, and the
// dispatcher delivering them in per-call order through a gateway that fails at first.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import { addEnterprise, intake, scenario, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '200', 'TOKEN-200');
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

async function post(app: Awaited<ReturnType<typeof intake>>, events: ReturnType<typeof scenario>, token = 'TOKEN-200') {
  for (const e of events) {
    const res = await app.inject({ method: 'POST', url: `/${e.event}`, payload: { ...e.body, Token: token } });
    expect(res.statusCode).toBe(200);
  }
}

const outbox = (callId: string) =>
  sql<{ event_type: string; dedup_key: string; payload: any }[]>`
    select event_type, dedup_key, payload from intake_outbox where call_id = ${callId} order by id`;

describe('call processor', () => {
  it('turns scenario 2-1 into one popup delivery and one hangup delivery', async () => {
    const app = await intake(sql, {});
    await post(app, scenario('2-1'));
    await app.processor.sweep();
    await new Promise((r) => setTimeout(r, 5));
    await app.processor.sweep();
    const rows = await outbox('1757772742.60');
    expect(rows.map((r) => [r.event_type, r.dedup_key])).toEqual([
      ['dial', 'ringing:1'],
      ['hangup', 'ended'],
    ]);
    expect(rows[0]!.payload).toMatchObject({
      enterprise: '200',
      callId: '1757772742.60',
      event_type: 'dial',
      new_extensions: ['150', '151', '152'],
      origin: 'live',
    });
    // The one body of every hop (@fleet/call-event): no host token, no raw host event.
    expect(JSON.stringify(rows)).not.toContain('TOKEN-200');
    expect(rows[0]!.payload.raw).toBeUndefined();
    expect(rows[1]!.payload.call).toMatchObject({
      direction: 'in',
      answered: true,
      answeredBy: '151',
      result: 'answered',
      phone: '375440000001',
    });
    const [call] = await sql`select kind, direction, status, answered_by from calls where call_id = '1757772742.60'`;
    expect(call).toMatchObject({ kind: 'customer', direction: 'in', status: 'ended', answered_by: '151' });
    // The projection's columns are the summary's fields (one statement writes a batch's calls).
    const [row] = await sql<
      {
        summary: any;
        ringing: string[];
        started_at: Date;
        answered_at: Date;
        ended_at: Date;
        duration_sec: number;
        result: string;
        phone: string;
      }[]
    >`
      select summary, ringing, started_at, answered_at, ended_at, duration_sec, result, phone from calls where call_id = '1757772742.60'`;
    expect(row!.ringing).toEqual(['150', '151', '152']);
    expect(row!.started_at.getTime()).toBe(row!.summary.startedAt);
    expect(row!.answered_at.getTime()).toBe(row!.summary.answeredAt);
    expect(row!.ended_at.getTime()).toBe(row!.summary.endedAt);
    expect([row!.duration_sec, row!.result, row!.phone]).toEqual([
      row!.summary.durationSec,
      'answered',
      '375440000001',
    ]);
    const [unprocessed] = await sql`select count(*)::int as n from call_events where processed_at is null`;
    expect(unprocessed!.n).toBe(0);

    await post(app, scenario('2-1')); // the same recording again: retransmissions
    await app.processor.sweep();
    expect(await outbox('1757772742.60')).toHaveLength(2);
    await app.close();
  });

  it('sends nothing to integrations for an internal call (3-1)', async () => {
    const app = await intake(sql, {});
    await post(app, scenario('3-1'));
    await app.processor.sweep();
    await new Promise((r) => setTimeout(r, 5));
    await app.processor.sweep();
    const [call] = await sql`select kind, status from calls where call_id = '1757775514.350'`;
    expect(call).toMatchObject({ kind: 'internal', status: 'ended' });
    expect(await outbox('1757775514.350')).toHaveLength(0);
    await app.close();
  });

  it('gives the same outcome when call-intake restarts between any two events (2-12)', async () => {
    const events = scenario('2-12').map((e) => ({
      ...e,
      body: { ...e.body, UniqueId: String(e.body.UniqueId ?? '').replace(/^1757774467/, '9000000001') },
    }));
    for (let cut = 1; cut < events.length; cut += 3) {
      const suffix = `r${cut}`;
      const mine = events.map((e) => ({
        ...e,
        body: { ...e.body, ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}${suffix}` } : {}) },
      }));
      let app = await intake(sql, {});
      await post(app, mine.slice(0, cut));
      await app.processor.sweep();
      await app.close();
      app = await intake(sql, {});
      await post(app, mine.slice(cut));
      await app.processor.sweep();
      await new Promise((r) => setTimeout(r, 5));
      await app.processor.sweep();
      await app.close();
      const rows = await outbox(`9000000001.253${suffix}`);
      expect(
        rows.map((r) => r.dedup_key),
        `cut at ${cut}`,
      ).toEqual(['ringing:1', 'ringing:2', 'ended']);
      expect(rows[2]!.payload.call.answeredBy).toBe('151');
    }
  });
});

describe('dispatcher', () => {
  let gateway: Server;
  let received: { callId: string; dedup_key: string }[] = [];
  let failuresLeft = 2;
  /** Overrides the answer for the next requests (status, headers, body). */
  let answer: { status: number; headers?: Record<string, string>; body: string } | null = null;

  beforeAll(async () => {
    gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (answer) {
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
          return;
        }
        if (failuresLeft > 0) {
          failuresLeft--;
          res.writeHead(503).end('{"error":"down"}');
          return;
        }
        received.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => gateway.close(() => r())));

  it('retries until the gateway acknowledges, keeping dial before hangup', async () => {
    const port = (gateway.address() as { port: number }).port;
    const app = await intake(sql, { GATEWAY_URL: `http://127.0.0.1:${port}` });
    received = [];
    const pending = await sql`select id from intake_outbox where status = 'pending'`;
    expect(pending.length).toBeGreaterThan(0);
    for (let i = 0; i < 40; i++) {
      await app.dispatcher.runOnce();
      const [left] = await sql`select count(*)::int as n from intake_outbox where status = 'pending'`;
      if (left!.n === 0) break;
      await sql`update intake_outbox set next_attempt_at = now() where status = 'pending'`; // skip the backoff wait
    }
    const [left] = await sql`select count(*)::int as n from intake_outbox where status <> 'done'`;
    expect(left!.n).toBe(0);
    const keys = received.map((r) => `${r.callId}/${r.dedup_key}`);
    expect(new Set(keys).size).toBe(keys.length);
    const call = received.filter((r) => r.callId === '1757772742.60').map((r) => r.dedup_key);
    expect(call).toEqual(['ringing:1', 'ended']);
    const [attempts] = await sql`select max(attempts)::int as n from intake_outbox`;
    expect(attempts!.n).toBeGreaterThan(1);
    await app.close();
  });

  it("holds a call's new row back while an earlier row of that call waits out its backoff", async () => {
    // Regression (fault run, seed 1980387600): the dial failed while the gateway was down and waited
    // 2 s; the hangup, written meanwhile, was due at once and went first — the gateway then dropped
    // the late dial as superseded, and one manager never got the popup.
    const port = (gateway.address() as { port: number }).port;
    const app = await intake(sql, { GATEWAY_URL: `http://127.0.0.1:${port}` });
    failuresLeft = 0;
    received = [];
    const row = (key: string, type: string, due: string) => sql`
      insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload, attempts, next_attempt_at)
      values ('200', 'order.1', ${type}, ${key}, ${sql.json({ callId: 'order.1', dedup_key: key })}, ${due === 'now' ? 0 : 1},
              now() + ${due === 'now' ? '0 seconds' : '1 hour'}::interval)`;
    await row('ringing:1', 'dial', 'later');
    await row('ended', 'hangup', 'now');
    await app.dispatcher.runOnce();
    expect(received).toEqual([]);
    await sql`update intake_outbox set next_attempt_at = now() where call_id = 'order.1'`;
    await app.dispatcher.runOnce();
    expect(received.map((r) => r.dedup_key)).toEqual(['ringing:1', 'ended']);
    await app.close();
  });

  const deadRow = (callId: string, age: string) => sql`
    insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload, created_at)
    values ('200', ${callId}, 'dial', 'ringing:1', ${sql.json({ callId, dedup_key: 'ringing:1', call: { phone: '375440000001' } })}, now() - ${age}::interval)`;

  it('dead-letters a permanent refusal at once: the row dead, the reason in integration_logs for the admin page', async () => {
    const port = (gateway.address() as { port: number }).port;
    const app = await intake(sql, { GATEWAY_URL: `http://127.0.0.1:${port}` });
    answer = {
      status: 422,
      body: JSON.stringify({ code: 'GW_UPSTREAM_REJECTED', message: 'retailcrm: Phone is not valid' }),
    };
    await deadRow('dead.1', '0 seconds');
    await app.dispatcher.runOnce();
    answer = null;
    const [row] = await sql`select status, attempts, last_error from intake_outbox where call_id = 'dead.1'`;
    expect(row).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: expect.stringContaining('Phone is not valid'),
    });
    const [letter] =
      await sql`select kind, phone, status_code, ok, error from integration_logs where call_id = 'dead.1'`;
    expect(letter).toMatchObject({
      kind: 'dead_letter',
      phone: '375440000001',
      status_code: 422,
      ok: false,
      error: expect.stringContaining('refused for good'),
    });
    await app.close();
  });

  it("gives a side effect up after GIVE_UP_MS of transient failures, and waits for the gateway's Retry-After before that", async () => {
    const port = (gateway.address() as { port: number }).port;
    const app = await intake(sql, { GATEWAY_URL: `http://127.0.0.1:${port}`, GIVE_UP_MS: 3_600_000 });
    answer = { status: 503, headers: { 'retry-after': '120' }, body: '{"code":"GW_BREAKER_OPEN"}' };
    await deadRow('old.1', '2 hours');
    await deadRow('young.1', '1 minute');
    await app.dispatcher.runOnce();
    answer = null;
    const rows = await sql<{ call_id: string; status: string; wait_s: number }[]>`
      select call_id, status, extract(epoch from next_attempt_at - now())::float as wait_s from intake_outbox
      where call_id in ('old.1', 'young.1') order by call_id`;
    expect(rows[0]).toMatchObject({ call_id: 'old.1', status: 'dead' });
    expect(rows[1]).toMatchObject({ call_id: 'young.1', status: 'pending' });
    expect(rows[1]!.wait_s).toBeGreaterThan(100); // the gateway's 120 s, not the first backoff step (1 s)
    expect(
      await sql`select 1 from integration_logs where call_id = 'old.1' and kind = 'dead_letter' and error like '%given up%'`,
    ).toHaveLength(1);
    await app.close();
  });
});

describe('born-leased rows', () => {
  it("the processor writes a call's rows leased to this instance and the dispatcher sends them without a claim", async () => {
    const received: string[] = [];
    const gw = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const b = JSON.parse(body);
        received.push(`${b.callId}/${b.dedup_key}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"delivered"}');
      });
    });
    await new Promise<void>((r) => gw.listen(0, '127.0.0.1', r));
    const port = (gw.address() as { port: number }).port;
    const app = await intake(sql, { GATEWAY_URL: `http://127.0.0.1:${port}` });
    const sent: { leased: number; waiting: boolean }[] = [];
    app.processor.onDeliveries((leased, waiting) => {
      sent.push({ leased: leased.length, waiting });
      app.dispatcher.sendLeased(leased, waiting);
    });
    const events = scenario('2-1').map((e) => ({
      ...e,
      body: { ...e.body, UniqueId: String(e.body.UniqueId ?? '').replace(/^1757772742/, '9100000001') },
    }));
    await post(app, events);
    await app.processor.sweep();
    await new Promise((r) => setTimeout(r, 5));
    await app.processor.sweep();
    await app.dispatcher.idle();
    expect(received).toEqual(['9100000001.60/ringing:1', '9100000001.60/ended']);
    expect(sent.every((s) => s.leased > 0 && !s.waiting)).toBe(true);
    const rows = await sql`select status, attempts from intake_outbox where call_id = '9100000001.60'`;
    expect(rows).toEqual([
      { status: 'done', attempts: 1 },
      { status: 'done', attempts: 1 },
    ]);
    await app.close();
    await new Promise<void>((r) => gw.close(() => r()));
  });
});

describe('backoffSeconds', () => {
  it('grows from 0.5 s, doubles per failure, stops at 30 s, and spreads ±20 %', async () => {
    const { backoffSeconds } = await import('../src/plugins/dispatcher.ts');
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffSeconds(n, () => 0.5))).toEqual([
      0.5, 1, 2, 4, 8, 16, 30, 30, 30,
    ]);
    expect(backoffSeconds(3, () => 0)).toBeCloseTo(1.6);
    expect(backoffSeconds(3, () => 1)).toBeCloseTo(2.4);
  });
});
