// The replayer against a loopback HTTP server that records what a host would have sent:
// path, Token header, content type, body, and order (each answer awaited before the next event).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadScenario, replayEvents, runReplay } from '../src/index.ts';

const SCENARIO = fileURLToPath(
  new URL('../../../../shared/fixtures/asterisk-scenarios/3-1_internal_answered.json', import.meta.url),
);

interface Received {
  path: string;
  token: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

let server: Server;
let intake: string;
let received: Received[] = [];
let inFlight = 0;
let maxInFlight = 0;
let answer: (path: string) => number = () => 200;

const readBody = async (req: IncomingMessage) => {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    received.push({
      path: req.url ?? '',
      token: req.headers.token as string | undefined,
      contentType: req.headers['content-type'],
      body,
    });
    // A slow answer: a replayer that does not await would overlap requests here.
    await new Promise((r) => setTimeout(r, 5));
    inFlight -= 1;
    const status = answer(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 200 ? '{"status":"ok","message":"Event queued for processing"}' : '{"error":"nope"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  intake = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  received = [];
  maxInFlight = 0;
  answer = () => 200;
});

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

describe('replayEvents', () => {
  it('posts each event as a host does, in order, one at a time', async () => {
    const events = await loadScenario(SCENARIO);
    const results = await replayEvents(events, { intake, speed: 0 });
    expect(received.map((r) => r.path)).toEqual(events.map((e) => `/${e.event}`));
    expect(received.map((r) => r.body)).toEqual(events.map((e) => e.body));
    expect(received.every((r) => r.token === 'ENTERPRISE_TOKEN' && r.contentType === 'application/json')).toBe(true);
    expect(maxInFlight).toBe(1);
    expect(results.map((r) => r.status)).toEqual(events.map(() => 200));
    expect(results[0]).toMatchObject({ index: 0, event: events[0]!.event, uniqueId: events[0]!.body.UniqueId });
  });

  it('reports a refused connection as status 0 instead of throwing', async () => {
    const [r] = await replayEvents([{ event: 'dial', body: { UniqueId: '1.1' } }], {
      intake: 'http://127.0.0.1:1',
      speed: 0,
    });
    expect(r).toMatchObject({ status: 0, error: 'ECONNREFUSED' });
  });

  it('waits the recorded gaps divided by speed', async () => {
    const started = Date.now();
    await replayEvents(
      [
        { event: 'start', body: {}, t: 0 },
        { event: 'dial', body: {}, t: 1 },
      ],
      { intake, speed: 10 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});

describe('pnpm replay (runReplay)', () => {
  it('substitutes --token in body and header, prints a line per event and a summary, exit 0', async () => {
    const { out, io } = capture();
    const code = await runReplay(['--intake', intake, '--token', '375291112233', '--speed', '0', SCENARIO], io);
    expect(code).toBe(0);
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((r) => r.token === '375291112233' && r.body.Token === '375291112233')).toBe(true);
    const lines = out.filter((l) => /^\s+\d+\s/.test(l));
    expect(lines).toHaveLength(received.length);
    expect(lines[0]).toMatch(new RegExp(`^\\s+1\\s+${received[0]!.path.slice(1)}\\s+\\S+\\s+200\\s+[\\d.]+ ms$`));
    expect(out.at(-1)).toMatch(
      new RegExp(
        `^summary: ${received.length} events; 200×${received.length}; latency p50 [\\d.]+ ms, p99 [\\d.]+ ms$`,
      ),
    );
  });

  it('--fresh-ids replays the file as new calls, twice as two different calls', async () => {
    const original = await loadScenario(SCENARIO);
    const { io } = capture();
    expect(await runReplay(['--intake', intake, '--speed', '0', '--fresh-ids', SCENARIO, SCENARIO], io)).toBe(0);
    const ids = received.map((r) => r.body.UniqueId as string);
    const firstRun = new Set(ids.slice(0, original.length).filter(Boolean));
    const secondRun = new Set(ids.slice(original.length).filter(Boolean));
    for (const e of original) if (e.body.UniqueId) expect(firstRun.has(e.body.UniqueId as string)).toBe(false);
    expect([...firstRun].some((id) => secondRun.has(id))).toBe(false);
  });

  it('exits 1 when any answer is not 2xx, and says which status', async () => {
    answer = (path) => (path === '/hangup' ? 500 : 200);
    const { out, io } = capture();
    expect(await runReplay(['--intake', intake, '--speed', '0', SCENARIO], io)).toBe(1);
    expect(out.some((l) => /\bhangup\b.*\b500\b.*nope/.test(l))).toBe(true);
    expect(out.at(-1)).toMatch(/500×1/);
  });

  it('without --intake posts to the CALL_INTAKE_PORT of the environment, as `pnpm start` runs call-intake', async () => {
    const { io } = capture();
    const port = new URL(intake).port;
    expect(await runReplay(['--speed', '0', SCENARIO], io, { CALL_INTAKE_PORT: port })).toBe(0);
    const sent = received.length;
    expect(sent).toBeGreaterThan(0);
    const bad = capture();
    expect(await runReplay(['--speed', '0', SCENARIO], bad.io, { CALL_INTAKE_PORT: 'eighty' })).toBe(2);
    expect(bad.err[0]).toMatch(/CALL_INTAKE_PORT must be a port number/);
    expect(received).toHaveLength(sent);
  });

  it('usage errors exit 2 without sending anything; an unreadable file exits 1', async () => {
    const c = capture();
    expect(await runReplay([], c.io)).toBe(2);
    expect(c.err[1]).toMatch(/^usage: replay /);
    expect(await runReplay(['--speed', '-1', SCENARIO], capture().io)).toBe(2);
    expect(await runReplay(['--bogus', SCENARIO], capture().io)).toBe(2);
    expect(await runReplay(['--intake', intake, '/nonexistent.json'], capture().io)).toBe(1);
    expect(received).toHaveLength(0);
    const h = capture();
    expect(await runReplay(['--help'], h.io)).toBe(0);
    expect(h.out[0]).toMatch(/^usage: replay /);
  });
});
