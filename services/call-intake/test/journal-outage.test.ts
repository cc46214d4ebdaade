// PostgreSQL stopped for 30 s in the middle of a replay (issue 7 §2). Every host event is posted to two
// call-intake instances at the same moment: one on the shared test server (the baseline, never down),
// one on a PostgreSQL of this file's own that is stopped and started again. Expected: every post
// answered 200 by both; afterwards call_events and intake_outbox hold the same rows in both databases
// (nothing lost, nothing doubled), journaled events keep their arrival time, a token first seen
// during the outage is resolved at drain time and a garbage one refused there. Then a tiny journal
// fills up during another outage: 503 with the reason, on /health and in the logs.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import {
  createSql,
  migrate,
  startEmbeddedPostgres,
  testDataDir,
  withDatabase as dbUrl,
  type EmbeddedServer,
  type Sql,
  type TestDatabase,
} from '@fleet/db';
import { buildApp } from '../src/app.ts';
import { addEnterprise, baseConfig, FIXTURES, withDatabase, type ScenarioEvent } from './helpers.ts';
import { freePort } from '../../../test/support/net.ts';

const ENTERPRISES = 8;
const OUTAGE_AT_MS = 6_000;
const OUTAGE_MS = 30_000;
const REPLAY_MS = 48_000;

let pgDir: string;
let pgPort: number;
let pg: EmbeddedServer | null = null;
let outageUrl: string;
let base: { db: TestDatabase; sql: Sql };
let down: Sql;
const tmp: string[] = [];

const startPg = async () => (pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort }));
async function stopPg() {
  await pg?.stop();
  pg = null;
}

function journalDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'intake-journal-'));
  tmp.push(d);
  return d;
}

async function start(
  sql: Sql,
  extra: Record<string, unknown>,
  logs: string[],
): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({
    sql,
    config: { ...baseConfig, WORKERS: true, TELEGRAM_API_ROOT: 'http://127.0.0.1:9', ...extra },
    logger: { level: 'info', stream: { write: (l: string) => void logs.push(l) } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

/** Posts like a host: one attempt, 3 s timeout. Status (0 = no answer) and latency. */
async function post(url: string, event: string, body: unknown): Promise<{ status: number; ms: number; code?: string }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/${event}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(3000),
    });
    const json = (await res.json()) as { code?: string };
    return { status: res.status, ms: performance.now() - t0, code: json.code };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

const corpus = (): ScenarioEvent[][] => {
  const index = JSON.parse(readFileSync(new URL('_index.json', FIXTURES), 'utf8')) as { file: string }[];
  return index
    .map((e) => JSON.parse(readFileSync(new URL(e.file, FIXTURES), 'utf8')) as ScenarioEvent[])
    .filter((s) => s.length);
};
const token = (i: number) => `37529000${String(i).padStart(4, '0')}`;
const withToken = (body: Record<string, unknown>, t: string) =>
  JSON.parse(JSON.stringify(body).replaceAll('ENTERPRISE_TOKEN', t)) as Record<string, unknown>;

const rowsOf = async (sql: Sql) => ({
  events: (
    await sql<
      { k: string }[]
    >`select enterprise || ' ' || event_type || ' ' || unique_id || ' ' || idempotency_key as k from call_events order by 1`
  ).map((r) => r.k),
  outbox: (
    await sql<
      { k: string }[]
    >`select enterprise || ' ' || call_id || ' ' || event_type || ' ' || dedup_key as k from intake_outbox order by 1`
  ).map((r) => r.k),
  unprocessed: (await sql<{ n: number }[]>`select count(*)::int as n from call_events where processed_at is null`)[0]!
    .n,
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : NaN;
};

beforeAll(async () => {
  pgDir = testDataDir(`test-pg-outage-${process.pid}`);
  rmSync(pgDir, { recursive: true, force: true });
  pgPort = await freePort();
  await startPg();
  const admin = createSql(pg!.url, { max: 1 });
  await admin.unsafe('create database outage');
  await admin.end();
  outageUrl = dbUrl(pg!.url, 'outage');
  down = createSql(outageUrl, { max: 6 });
  await migrate(down);
  base = await withDatabase();
  for (let i = 0; i < ENTERPRISES + 1; i++) {
    await addEnterprise(base.sql, String(300 + i), token(i));
    await addEnterprise(down, String(300 + i), token(i));
  }
}, 120_000);

afterAll(async () => {
  await down?.end({ timeout: 1 });
  await base?.sql.end();
  await base?.db.drop();
  await stopPg().catch(() => {});
  rmSync(pgDir, { recursive: true, force: true });
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe('PostgreSQL down for 30 s during a replay', () => {
  it('acknowledges every event and ends with the same events and outbox as a run without the outage', async () => {
    const baseLogs: string[] = [];
    const downLogs: string[] = [];
    const dir = journalDir();
    const journalCfg = { JOURNAL_DIR: dir, JOURNAL_FALLBACK_MS: 1000, JOURNAL_DRAIN_POLL_MS: 200 };
    const a = await start(base.sql, {}, baseLogs);
    const b = await start(down, journalCfg, downLogs);
    const t0 = Date.now();

    // One lane per enterprise (its events in order, as its host sends them); the last enterprise is
    // first heard of during the outage (its token not cached), plus one garbage token then.
    const scenarios = corpus();
    const lanes: { t: string; events: ScenarioEvent[]; startAt: number; gap?: number }[] = [];
    for (let i = 0; i < ENTERPRISES; i++)
      lanes.push({ t: token(i), events: scenarios.filter((_, j) => j % ENTERPRISES === i).flat(), startAt: 0 });
    lanes.push({ t: token(ENTERPRISES), events: scenarios.slice(0, 4).flat(), startAt: OUTAGE_AT_MS + 5_000 });
    lanes.push({ t: 'GARBAGE-TOKEN-1', events: scenarios[0]!.slice(0, 3), startAt: OUTAGE_AT_MS + 5_000, gap: 500 });

    const results: { lane: string; base: number; down: number; ms: number; at: number; code?: string }[] = [];
    const outage = (async () => {
      await new Promise((r) => setTimeout(r, OUTAGE_AT_MS));
      await stopPg();
      const stoppedAt = Date.now() - t0;
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await startPg();
      return { stoppedAt, startedAt: Date.now() - t0 };
    })();
    await Promise.all(
      lanes.map(async (lane) => {
        await new Promise((r) => setTimeout(r, lane.startAt));
        const gap = lane.gap ?? (REPLAY_MS - lane.startAt) / lane.events.length;
        for (const ev of lane.events) {
          const body = withToken(ev.body, lane.t);
          const [x, y] = await Promise.all([post(a.url, ev.event, body), post(b.url, ev.event, body)]);
          results.push({ lane: lane.t, base: x.status, down: y.status, ms: y.ms, at: Date.now() - t0, code: y.code });
          await new Promise((r) => setTimeout(r, gap));
        }
      }),
    );
    const window = await outage;

    const real = results.filter((r) => r.lane !== 'GARBAGE-TOKEN-1');
    const bad = real.filter((r) => r.down !== 200);
    if (bad.length)
      console.log(
        '[outage] window',
        window,
        'refused at',
        bad.map((r) => `${r.at}:${r.down}:${Math.round(r.ms)}`).join(' '),
        downLogs
          .filter((l) => /"level":(40|50)/.test(l))
          .slice(0, 30)
          .join('\n')
          .slice(0, 8000),
      );
    const duringOutage = real.filter((r) => r.at > window.stoppedAt && r.at < window.startedAt);
    expect(
      real.filter((r) => r.down !== 200),
      'outage instance refused',
    ).toEqual([]);
    expect(
      real.filter((r) => r.base !== 200),
      'baseline refused',
    ).toEqual([]);
    expect(duringOutage.length).toBeGreaterThan(100);
    // The garbage token: 403 from the healthy instance, 200 (journaled unresolved) during the outage.
    const garbage = results.filter((r) => r.lane === 'GARBAGE-TOKEN-1');
    expect(garbage.every((r) => r.base === 403 && r.down === 200)).toBe(true);

    // Drained and processed: the same rows in both databases.
    let x = await rowsOf(base.sql);
    let y = await rowsOf(down);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      x = await rowsOf(base.sql);
      y = await rowsOf(down);
      if (
        b.app.journal!.status().mode === 'direct' &&
        !x.unprocessed &&
        !y.unprocessed &&
        JSON.stringify(x) === JSON.stringify(y)
      )
        break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const status = b.app.journal!.status();
    expect(status).toMatchObject({ mode: 'direct', full: false, rejected: garbage.length, corrupt: 0 });
    expect(readdirSync(dir).filter((n) => n.endsWith('.jnl'))).toEqual([]);
    expect(y.events.length).toBe(new Set(y.events).size);
    expect(y.events).toEqual(x.events);
    expect(y.outbox).toEqual(x.outbox);
    expect(x.outbox.length).toBeGreaterThan(50);
    const rejected = readFileSync(join(dir, 'rejected.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string });
    expect(rejected.every((r) => r.reason === 'unknown host token')).toBe(true);

    // Journaled events keep their arrival time (not the drain's).
    const [held] = await down<{ n: number }[]>`
      select count(*)::int as n from call_events
      where received_at > ${new Date(t0 + window.stoppedAt + 2000)} and received_at < ${new Date(t0 + window.startedAt - 2000)}`;
    expect(held!.n).toBeGreaterThan(50);
    expect(downLogs.some((l) => l.includes('acknowledging host events from the local journal'))).toBe(true);
    expect(downLogs.some((l) => l.includes('journal drained'))).toBe(true);

    const journaled = duringOutage.map((r) => r.ms);
    console.log(
      `[outage] posted ${results.length} events to each instance (${duringOutage.length} while PostgreSQL was down ` +
        `${window.stoppedAt}–${window.startedAt} ms); call_events ${y.events.length} = baseline ${x.events.length}; ` +
        `intake_outbox ${y.outbox.length} = baseline ${x.outbox.length}; drained ${status.drained}, rejected ${status.rejected}; ` +
        `ack latency while journaling p50 ${pct(journaled, 50)} ms p99 ${pct(journaled, 99)} ms max ${pct(journaled, 100)} ms`,
    );
    await a.app.close();
    await b.app.close();
  }, 180_000);

  it('answers 503 with the reason (and says so on /health and in the logs) when the journal is full', async () => {
    const logs: string[] = [];
    const dir = journalDir();
    const { app, url } = await start(
      down,
      { JOURNAL_DIR: dir, JOURNAL_MAX_BYTES: 8 * 1024, JOURNAL_SEGMENT_BYTES: 2 * 1024, JOURNAL_DRAIN_POLL_MS: 200 },
      logs,
    );
    const dial = (i: number) => ({
      ...withToken(corpus()[0]!.find((e) => e.event === 'dial')!.body, token(0)),
      UniqueId: `full.${i}`,
    });
    expect((await post(url, 'dial', dial(0))).status).toBe(200); // caches the token
    await stopPg();
    const answers: { status: number; code?: string }[] = [];
    for (let i = 1; i <= 40; i++) answers.push(await post(url, 'dial', dial(i)));
    const accepted = answers.filter((r) => r.status === 200).length;
    expect(accepted).toBeGreaterThan(3);
    expect(answers.slice(accepted).every((r) => r.status === 503 && r.code === 'INTAKE_JOURNAL_FULL')).toBe(true);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      database: false,
      journal: { full: true },
      reason: expect.stringContaining('journal is full'),
    });
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons.join()).toContain('journal is full');
    expect(logs.some((l) => l.includes('journal full: refusing host events with 503'))).toBe(true);

    await startPg();
    const deadline = Date.now() + 30_000;
    while (app.journal!.status().mode !== 'direct' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const stored = await down<
      { unique_id: string }[]
    >`select unique_id from call_events where unique_id like 'full.%' order by id`;
    // What was acknowledged is there, in order; what was refused is not.
    expect(stored.map((r) => r.unique_id)).toEqual(Array.from({ length: accepted + 1 }, (_, i) => `full.${i}`));
    expect((await post(url, 'dial', dial(99))).status).toBe(200);
    console.log(
      `[journal full] bound 8 KiB: ${accepted} events journaled, then ${answers.length - accepted} refused with 503 INTAKE_JOURNAL_FULL`,
    );
    await app.close();
  }, 90_000);
});
