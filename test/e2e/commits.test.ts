// Counts what issue 12 bounds: the durable commits a popup and a hangup cross in sequence, from the
// host's POST to the request RetailCRM receives. The three services run in process, each on its own
// pool whose every statement is recorded (postgres.js `debug`); a commit is a COMMIT, or a write sent
// outside a transaction. Counted: the commits sent before the fake received the request. Reads are
// not commits (they write no WAL and wait for no flush). Each commit notes how many requests the fake
// had received when it was sent: all of it runs in this one event loop, so the order is exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import { buildApp as buildIntake } from '../../services/call-intake/src/app.ts';
import { buildApp as buildGateway, loadGatewayConfig } from '../../services/integration-gateway/src/index.ts';
import { buildApp as buildRetailCrm, loadRetailCrmConfig } from '../../services/retailcrm/src/index.ts';
import { loadEvents } from './harness.ts';

type FastifyInstance = Awaited<ReturnType<typeof buildIntake>>;

const API_KEY = 'commits-api-key-0123456789';
const TOKEN = '375290000077';

/** What the fake had received when a commit was sent. */
interface Seen {
  events: number;
  uploads: number;
}
const seen = (): Seen => ({ events: crm?.state.events.length ?? 0, uploads: crm?.state.uploads.length ?? 0 });

/** Every commit sent by a pool, with what the fake had received by then. */
function recorder() {
  const commits: { seen: Seen; what: string }[] = [];
  const inTx = new Map<number, boolean>();
  const debug = (conn: number, query: string) => {
    const q = query.trim().toLowerCase();
    if (q.startsWith('begin')) return void inTx.set(conn, true);
    if (q === 'commit' || q === 'rollback') {
      inTx.set(conn, false);
      if (q === 'commit') commits.push({ seen: seen(), what: 'commit' });
      return;
    }
    if (!inTx.get(conn) && /^(insert|update|delete|with)\b/.test(q) && /\b(insert|update|delete)\b/.test(q))
      commits.push({ seen: seen(), what: q.slice(0, 60) });
  };
  return { commits, debug };
}

let db: TestDatabase;
let admin: Sql;
let crm: RetailCrmFake;
const pools: Sql[] = [];
const apps: FastifyInstance[] = [];
const rec = { intake: recorder(), gateway: recorder(), retailcrm: recorder() };
let intake: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  admin = createSql(db.url, { max: 2 });
  crm = createRetailCrmFake({ apiKeys: [{ key: API_KEY }] });
  const crmUrl = await crm.listen(0);
  await admin`insert into enterprises (number, name, host_token, integrations_config)
              values ('701', 'Commits', ${TOKEN}, ${admin.json({ retailcrm: { enabled: true, domain: crmUrl, api_key: API_KEY, client_id: 'client-701', user_extensions: { '18': '151' } } })})`;
  const pool = (name: keyof typeof rec) => {
    const sql = createSql(db.url, { max: 6, debug: rec[name].debug });
    pools.push(sql);
    return sql;
  };
  const common = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
  const retailcrm = await buildRetailCrm({
    sql: pool('retailcrm'),
    config: loadRetailCrmConfig({
      ...common,
      NODE_ENV: 'test',
      JWT_SECRET: 'commits-jwt-secret-0123456789abcdef0123',
      RETAILCRM_RATE_TELEPHONY: '1000',
    }),
    logger: false,
  });
  const rcrmUrl = await retailcrm.listen({ port: 0, host: '127.0.0.1' });
  const gateway = await buildGateway({
    sql: pool('gateway'),
    config: loadGatewayConfig({ ...common, RETAILCRM_URL: rcrmUrl }),
    logger: false,
  });
  const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
  intake = await buildIntake({
    sql: pool('intake'),
    config: {
      GATEWAY_URL: gatewayUrl,
      BODY_LIMIT_BYTES: 65536,
      GROUP_COMMIT_WINDOW_MS: 2,
      GROUP_COMMIT_MAX_BATCH: 500,
      PROCESSOR_POLL_MS: 60_000,
      DISPATCH_POLL_MS: 60_000,
      DISPATCH_TIMEOUT_MS: 35_000,
      WORKERS: true,
    },
    logger: false,
    model: { settleMs: 0, closeWithoutHangupMs: 0 },
  });
  await intake.ready();
  apps.push(intake, gateway, retailcrm);
});

afterAll(async () => {
  for (const app of apps) await app.close();
  for (const sql of pools) await sql.end();
  await admin?.end();
  await crm?.close();
  await db?.drop();
});

const post = async (e: { event: string; body: Record<string, unknown> }) => {
  const res = await intake.inject({ method: 'POST', url: `/${e.event}`, payload: { ...e.body, Token: TOKEN } });
  expect(res.statusCode).toBe(200);
};

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not within 5 s: ${what}`);
}

/** Everything the previous step set off is finished: the processor and the dispatcher are idle. */
async function settle(): Promise<void> {
  await intake.processor.idle();
  await intake.dispatcher.idle();
  await new Promise((r) => setTimeout(r, 50)); // the answers' journal rows are written off the path
}

/** Commits over all three pools since `from` (a count per pool) that `before` says came before the request. */
const mark = () => Object.fromEntries(Object.entries(rec).map(([svc, r]) => [svc, r.commits.length]));
const commitsSince = (from: Record<string, number>, before: (s: Seen) => boolean) =>
  Object.entries(rec).flatMap(([svc, r]) =>
    r.commits
      .slice(from[svc])
      .filter((c) => before(c.seen))
      .map((c) => `${svc}: ${c.what}`),
  );

describe('commits in sequence (scenario 2-1 with the call model deciding at once)', () => {
  const events = loadEvents('2-1');
  const dial = events.findIndex((e) => e.event === 'dial');
  const lastHangup = events.length - 1;

  it("a popup (the host's dial → call/event at RetailCRM) crosses at most 3 commits", async () => {
    for (const e of events.slice(0, dial)) await post(e);
    await settle();
    const from = mark();
    await post(events[dial]!);
    await until(() => crm.state.events.length === 1, 'the popup at the fake');
    const commits = commitsSince(from, (s) => s.events === 0);
    console.log(`popup: ${commits.length} commits before call/event reached RetailCRM:\n  ${commits.join('\n  ')}`);
    expect(commits.length).toBeLessThanOrEqual(3);
  });

  it("a hangup crosses at most 3 commits to the popup's end and at most 6 to the history record", async () => {
    expect(events[lastHangup]!.event).toBe('hangup');
    for (const e of events.slice(dial + 1, lastHangup)) await post(e);
    await settle();
    const from = mark();
    const popups = crm.state.events.length;
    await post(events[lastHangup]!);
    await until(() => crm.state.uploads.length === 1, 'the history record at the fake');
    expect(crm.state.events.at(-1)!.event.type).toBe('hangup');
    const toEnd = commitsSince(from, (s) => s.events === popups);
    const toRecord = commitsSince(from, (s) => s.uploads === 0);
    console.log(
      `hangup: ${toEnd.length} commits before the popup's end, ${toRecord.length} before the history record:\n  ${toRecord.join('\n  ')}`,
    );
    expect(toEnd.length).toBeLessThanOrEqual(3);
    expect(toRecord.length).toBeLessThanOrEqual(6);
  });
});

describe('what a hangup waits for', () => {
  // The same scenario as another call (its UniqueIds renamed, order kept).
  const events = loadEvents('2-1').map((e) => ({
    ...e,
    body: JSON.parse(JSON.stringify(e.body).replace(/"(\d{10})\.(\d+)"/g, '"$1.9$2"')) as Record<string, unknown>,
  }));
  const lastHangup = events.length - 1;

  it("the history record leaves while the popup end's done mark and journal answer are still held", async () => {
    // Both writes of the popup end, after RetailCRM answered it, wait on a lock this test holds: if the
    // history record waited for them, it would never reach the fake while the lock is held.
    await admin.unsafe(`
      create or replace function commits_test_hold_log() returns trigger language plpgsql as $$
      begin
        if new.step = 'event:hangup' and new.state = 'done' then perform pg_advisory_xact_lock(770077); end if;
        return new;
      end $$;
      create or replace function commits_test_hold_step() returns trigger language plpgsql as $$
      begin
        if new.step = 'event:hangup' and new.status = 'done' then perform pg_advisory_xact_lock(770077); end if;
        return new;
      end $$;
      create trigger commits_test_hold before update on integration_logs
        for each row execute function commits_test_hold_log();
      create trigger commits_test_hold before insert or update on retailcrm_call_steps
        for each row execute function commits_test_hold_step();`);
    const holder = await admin.reserve();
    try {
      await holder`select pg_advisory_lock(770077)`;
      const uploads = crm.state.uploads.length;
      for (const e of events.slice(0, lastHangup)) await post(e);
      await settle();
      await post(events[lastHangup]!);
      await until(() => crm.state.uploads.length === uploads + 1, 'the history record at the fake');
      // Both still wait on the lock: the step is running, its attempt answered on no record yet.
      const [held] = await admin<{ status: string; state: string }[]>`
        select s.status, l.state from retailcrm_call_steps s
        join integration_logs l on l.call_id = s.call_id and l.step = s.step
        where s.step = 'event:hangup' and s.call_id = '1757772742.960'`;
      expect(held).toEqual({ status: 'running', state: 'sent' });
    } finally {
      await holder`select pg_advisory_unlock(770077)`;
      holder.release();
    }
    await settle();
    await admin.unsafe(`drop trigger commits_test_hold on integration_logs;
                        drop trigger commits_test_hold on retailcrm_call_steps;`);
    const [done] = await admin<{ status: string }[]>`
      select status from retailcrm_call_steps where step = 'event:hangup' and call_id = '1757772742.960'`;
    expect(done?.status).toBe('done'); // and once released, the marks land
  });
});
