// Where the call model's state lives (processor/model-store.ts, issue 12): in memory between batches, in
// the database as a snapshot plus the events applied since. A batch writes its version, not the state;
// a restart, another instance or a model failure rebuilds the state by replay, with the same outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import { addEnterprise, intake, scenario, withDatabase, type ScenarioEvent } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '210', 'TOKEN-210');
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

type App = Awaited<ReturnType<typeof intake>>;

async function post(app: App, events: ScenarioEvent[]) {
  for (const e of events) {
    const res = await app.inject({ method: 'POST', url: `/${e.event}`, payload: { ...e.body, Token: 'TOKEN-210' } });
    expect(res.statusCode).toBe(200);
  }
}

/** The scenario with its UniqueIds (and, when given, its client number) made unique to one test. */
const fresh = (code: string, tag: string, phone?: string): ScenarioEvent[] =>
  scenario(code).map((e) => ({
    ...e,
    body: {
      ...e.body,
      ...(e.body.UniqueId ? { UniqueId: `${e.body.UniqueId}${tag}` } : {}),
      ...(phone && e.body.Phone ? { Phone: phone } : {}),
    },
  }));

const dedupKeys = async (callId: string) =>
  (await sql<{ dedup_key: string }[]>`select dedup_key from intake_outbox where call_id = ${callId} order by id`).map(
    (r) => r.dedup_key,
  );
const modelRow = async () =>
  (
    await sql<{ version: number; snapshot_version: number; replay_events: number; calls: number }[]>`
      select version::int, snapshot_version::int, replay_events,
             (select count(*)::int from jsonb_object_keys(state->'calls')) as calls
      from call_model_state where enterprise = '210'`
  )[0]!;

async function finish(...apps: App[]) {
  for (const app of apps) await app.processor.sweep();
  await new Promise((r) => setTimeout(r, 5)); // settleMs 0: the final effects come from the passing of time
  for (const app of apps) await app.processor.sweep();
}

describe('call model state', () => {
  it('a batch writes its version and its events’ batch number, not the state (no snapshot due)', async () => {
    const app = await intake(sql, {});
    const events = fresh('2-1', 'm1');
    for (const e of events.slice(0, 5)) {
      await post(app, [e]);
      await app.processor.sweep();
    }
    const row = await modelRow();
    expect(row.version).toBeGreaterThanOrEqual(5);
    expect(row.snapshot_version).toBe(0);
    expect(row.calls).toBe(0); // the stored snapshot is still the empty state of before the call
    expect(row.replay_events).toBeGreaterThanOrEqual(5);
    const [unbatched] = await sql<{ n: number }[]>`
      select count(*)::int as n from call_events where enterprise = '210' and processed_batch is null`;
    expect(unbatched!.n).toBe(0);
    await post(app, events.slice(5));
    await finish(app);
    expect(await dedupKeys('1757772742.60m1')).toEqual(['ringing:1', 'ended']);
    await app.close();
  });

  it('rebuilds from a snapshot plus the events since: a restart between any two events of 2-12 gives the same outcome', async () => {
    let snapshots = 0;
    const events = fresh('2-12', '');
    for (let cut = 1; cut < events.length; cut += 2) {
      const tag = `s${cut}`;
      const mine = fresh('2-12', tag);
      const before = (await modelRow()).snapshot_version;
      // A snapshot every 3 events: the restart finds one in the middle of the call, and events after it.
      let app = await intake(sql, {}, { events: 3 });
      for (const e of mine.slice(0, cut)) {
        await post(app, [e]);
        await app.processor.sweep();
      }
      await app.close();
      if ((await modelRow()).snapshot_version > before) snapshots++;
      app = await intake(sql, {}, { events: 3 });
      await post(app, mine.slice(cut));
      await finish(app);
      await app.close();
      const rows = await sql<{ dedup_key: string; payload: { call: { answeredBy: string } } }[]>`
        select dedup_key, payload from intake_outbox where call_id = ${`1757774467.253${tag}`} order by id`;
      expect(
        rows.map((r) => r.dedup_key),
        `cut at ${cut}`,
      ).toEqual(['ringing:1', 'ringing:2', 'ended']);
      expect(rows[2]!.payload.call.answeredBy).toBe('151');
    }
    expect(snapshots, 'restarts that found a snapshot taken during the call').toBeGreaterThan(2);
    expect(events.length).toBeGreaterThan(6);
  });

  it('two instances taking turns on one enterprise: each sees what the other applied', async () => {
    const a = await intake(sql, {});
    const b = await intake(sql, {});
    const mine = fresh('2-12', 'ab');
    for (const [i, e] of mine.entries()) {
      const app = i % 2 === 0 ? a : b;
      await post(app, [e]);
      await app.processor.sweep();
    }
    await finish(a, b);
    const rows = await sql<{ dedup_key: string; payload: { call: { answeredBy: string; ringing: string[] } } }[]>`
      select dedup_key, payload from intake_outbox where call_id = '1757774467.253ab' order by id`;
    expect(rows.map((r) => r.dedup_key)).toEqual(['ringing:1', 'ringing:2', 'ended']);
    expect(rows[2]!.payload.call).toMatchObject({ answeredBy: '151', ringing: ['150', '151'] });
    await a.close();
    await b.close();
  });

  it('a model failure midway through a batch: the state applied in place is rebuilt, the failing event skipped, the rest applied', async () => {
    const BAD = '375449999999';
    const app = await intake(sql, {}, undefined, {
      originates: ({ phone }) => {
        if (phone.endsWith('449999999')) throw new Error('originate lookup exploded');
        return null;
      },
    });
    // One batch: a good incoming call first, then an outgoing call whose dial makes the model throw.
    await post(app, [...fresh('2-1', 'f1'), ...fresh('1-1', 'f1', BAD)]);
    await finish(app);
    expect(await dedupKeys('1757772742.60f1')).toEqual(['ringing:1', 'ended']);
    const failed = await sql<{ event_type: string; process_error: string }[]>`
      select event_type, process_error from call_events where enterprise = '210' and process_error is not null`;
    expect(failed.map((f) => f.event_type)).toContain('dial');
    expect(failed[0]!.process_error).toContain('originate lookup exploded');
    // The good call's effects are there exactly once, and the state goes on: another call is whole.
    await post(app, fresh('2-1', 'f2'));
    await finish(app);
    expect(await dedupKeys('1757772742.60f2')).toEqual(['ringing:1', 'ended']);
    // A new instance rebuilds the same state (the failed event is left out of the replay too).
    await app.close();
    const again = await intake(sql, {});
    await post(again, fresh('2-1', 'f3'));
    await finish(again);
    expect(await dedupKeys('1757772742.60f3')).toEqual(['ringing:1', 'ended']);
    await again.close();
  });
});
