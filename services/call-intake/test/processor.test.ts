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
    expect(rows[0]!.payload).toMatchObject({ token: 'TOKEN-200', enterprise: '200', uniqueId: '1757772742.60', new_extensions: ['150', '151', '152'] });
    expect(rows[0]!.payload.raw.Token).toBeUndefined();
    expect(rows[1]!.payload.call).toMatchObject({ direction: 'in', answered: true, answeredBy: '151', result: 'answered', phone: '375440000001' });
    const [call] = await sql`select kind, direction, status, answered_by from calls where call_id = '1757772742.60'`;
    expect(call).toMatchObject({ kind: 'customer', direction: 'in', status: 'ended', answered_by: '151' });
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
    const events = scenario('2-12').map((e) => ({ ...e, body: { ...e.body, UniqueId: String(e.body.UniqueId ?? '').replace(/^1757774467/, '9000000001') } }));
    for (let cut = 1; cut < events.length; cut += 3) {
      const suffix = `r${cut}`;
      const mine = events.map((e) => ({ ...e, body: { ...e.body, ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}${suffix}` } : {}) } }));
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
      expect(rows.map((r) => r.dedup_key), `cut at ${cut}`).toEqual(['ringing:1', 'ringing:2', 'ended']);
      expect(rows[2]!.payload.call.answeredBy).toBe('151');
    }
  });
});

describe('dispatcher', () => {
  let gateway: Server;
  let received: { uniqueId: string; dedup_key: string }[] = [];
  let failuresLeft = 2;

  beforeAll(async () => {
    gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
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
    const keys = received.map((r) => `${r.uniqueId}/${r.dedup_key}`);
    expect(new Set(keys).size).toBe(keys.length);
    const call = received.filter((r) => r.uniqueId === '1757772742.60').map((r) => r.dedup_key);
    expect(call).toEqual(['ringing:1', 'ended']);
    const [attempts] = await sql`select max(attempts)::int as n from intake_outbox`;
    expect(attempts!.n).toBeGreaterThan(1);
    await app.close();
  });

  it('holds a call\'s new row back while an earlier row of that call waits out its backoff', async () => {
    // Regression (fault run, seed 1980387600): the dial failed while the gateway was down and waited
    // 2 s; the hangup, written meanwhile, was due at once and went first — the gateway then dropped
    // the late dial as superseded, and one manager never got the popup.
    const port = (gateway.address() as { port: number }).port;
    const app = await intake(sql, { GATEWAY_URL: `http://127.0.0.1:${port}` });
    failuresLeft = 0;
    received = [];
    const row = (key: string, type: string, due: string) => sql`
      insert into intake_outbox (enterprise, call_id, event_type, dedup_key, payload, attempts, next_attempt_at)
      values ('200', 'order.1', ${type}, ${key}, ${sql.json({ uniqueId: 'order.1', dedup_key: key })}, ${due === 'now' ? 0 : 1},
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
});
