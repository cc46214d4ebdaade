// call-intake started while PostgreSQL is down (issue 7 §2: hosts never retry, also not while a
// restart of call-intake coincides with an outage). The real process (server.ts) boots on its journal,
// acknowledges a recorded call, and once PostgreSQL is started: applies its migrations, drains the
// journal (every event once, in order), LISTENs again (its first LISTEN had failed) and is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSql,
  migrate,
  startEmbeddedPostgres,
  testDataDir,
  withDatabase as dbUrl,
  type EmbeddedServer,
  type Sql,
} from '@fleet/db';
import { addEnterprise, scenario } from './helpers.ts';
import { freePort } from '../../../test/support/net.ts';

const TOKEN = '375290009999';
const REPO = resolve(import.meta.dirname, '../../..');

let pgDir: string;
let pgPort: number;
let pg: EmbeddedServer | null = null;
let url: string;
let journalDir: string;
let proc: ChildProcess | undefined;
const logs: string[] = [];

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms\n${logs.slice(-15).join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const json = async (u: string) => {
  const res = await fetch(u, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

beforeAll(async () => {
  pgDir = testDataDir(`test-pg-boot-outage-${process.pid}`);
  rmSync(pgDir, { recursive: true, force: true });
  pgPort = await freePort();
  pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
  const admin = createSql(pg.url, { max: 1 });
  await admin.unsafe('create database boot');
  await admin.end();
  url = dbUrl(pg.url, 'boot');
  const sql = createSql(url, { max: 1 });
  await migrate(sql);
  await addEnterprise(sql, '400', TOKEN);
  await sql.end();
  await pg.stop();
  pg = null;
  journalDir = mkdtempSync(join(tmpdir(), 'intake-boot-journal-'));
}, 120_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  await pg?.stop().catch(() => {});
  rmSync(pgDir, { recursive: true, force: true });
  rmSync(journalDir, { recursive: true, force: true });
});

describe('call-intake started while PostgreSQL is down', () => {
  it('boots on its journal, acknowledges a call, and drains it once PostgreSQL is back', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    proc = spawn(process.execPath, ['--import', 'tsx', 'services/call-intake/src/server.ts'], {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: url,
        CALL_INTAKE_PORT: String(port),
        JOURNAL_DIR: journalDir,
        GATEWAY_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
    proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));

    // Up without PostgreSQL: /health answers 200 (accepting), /ready says why it is degraded.
    const health = await until(
      'health',
      async () => ((await json(`${base}/health`)).status === 200 ? json(`${base}/health`) : undefined),
      60_000,
    );
    expect(health.body).toMatchObject({ database: false, listen: false });
    const ready = await json(`${base}/ready`);
    expect(ready.body.checks.schema).toMatchObject({
      ok: false,
      critical: false,
      reason: expect.stringMatching(/^PostgreSQL unreachable at boot/),
    });
    expect(logs.join('')).toContain('started without PostgreSQL: accepting host events into the journal');

    const events = scenario('2-1');
    for (const e of events) {
      const body = JSON.parse(JSON.stringify(e.body).replaceAll('ENTERPRISE_TOKEN', TOKEN)) as Record<string, unknown>;
      const res = await fetch(`${base}/${e.event}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(3000),
      });
      expect(res.status, `${e.event} while PostgreSQL is down`).toBe(200);
    }
    expect((await json(`${base}/health`)).body.journal).toMatchObject({ mode: 'journal', appended: events.length });

    pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
    const sql: Sql = createSql(url, { max: 1 });
    try {
      // Migrations applied, journal drained, LISTEN taken up again (heartbeat, 10 s): ready. (Neither
      // the LISTEN nor the drain is critical for /ready's 200, so each is waited for.)
      await until(
        'ready after the outage',
        async () => {
          const r = await json(`${base}/ready`);
          return r.status === 200 && r.body.checks.listen?.ok && r.body.checks.journal?.mode === 'direct'
            ? true
            : undefined;
        },
        60_000,
      );
      const after = await json(`${base}/ready`);
      expect(after.body.checks.schema).toBeUndefined();
      expect(after.body.checks.listen).toMatchObject({ ok: true });
      expect(after.body.checks.journal).toMatchObject({ ok: true, mode: 'direct' });
      const rows = await sql<{ event_type: string; enterprise: string; idempotency_key: string }[]>`
        select event_type, enterprise, idempotency_key from call_events order by id`;
      expect(rows.map((r) => r.event_type)).toEqual(events.map((e) => e.event));
      expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(events.length);
      expect(new Set(rows.map((r) => r.enterprise))).toEqual(new Set(['400']));
      expect(logs.join('')).toContain('PostgreSQL answers: migrations applied, the journal drains');
    } finally {
      await sql.end();
    }

    const exited = new Promise<number | null>((ok) => proc!.once('exit', (code) => ok(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);
});
