// Bad input everywhere (issue 7 §3): ≥ 10 000 generated requests against every public endpoint of the
// fleet — host events, gateway dispatch, make-call and status, makecallexternal, getcustomerdata, the
// admin API (with a live session and CSRF token, and without), the admin link exchange, the Telegram
// webhook. Each answer must be a 4xx with a reason (a valid-by-chance request may be 2xx), never a 5xx;
// no process-level error; the heap after a GC back near where it was before the run; and no secret
// in any log line. Seeded: the seed is printed, FUZZ_SEED=<n> replays a run, FUZZ_SCALE scales counts.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLink } from '../../packages/retailcrm-admin/src/index.ts';
import { ENDPOINTS, targets, type AdminAuth, type Target } from './endpoints.ts';
import { createRng, runSeed } from './prng.ts';
import { generate, type FuzzRequest } from './requests.ts';
import { createWorld, type World } from './world.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage();
};
const MB = 1024 * 1024;

const SEED = runSeed();
const SCALE = Number(process.env.FUZZ_SCALE ?? '1');
const LANES = 8;

let w: World;
let admin: AdminAuth;
const processErrors: unknown[] = [];
const onProcessError = (err: unknown) => processErrors.push(err);

async function login(world: World): Promise<AdminAuth> {
  const link = await issueLink(world.sql, world.jwtSecret, world.e1.number, 'operator', 30);
  const auth = await world.retailcrm.inject({ method: 'GET', url: `/retailcrm-admin/auth?token=${link.token}` });
  expect(auth.statusCode).toBe(303);
  const session = auth.cookies.find((c: { name: string }) => c.name === 'rcrm_admin')!.value;
  const state = await world.retailcrm.inject({
    method: 'GET',
    url: '/retailcrm-admin/api/state',
    headers: { cookie: `rcrm_admin=${session}` },
  });
  expect(state.statusCode).toBe(200);
  const csrfCookie = state.cookies.find((c: { name: string }) => c.name === 'rcrm_csrf')!.value;
  return {
    cookie: `rcrm_admin=${session}; rcrm_csrf=${csrfCookie}`,
    csrf: state.json().csrfToken,
    linkToken: link.token,
  };
}

/** Why an answer is not acceptable, or null. */
function verdict(
  t: Target,
  req: FuzzRequest,
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
): string | null {
  if (res.statusCode >= 500) return `${res.statusCode} ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400 || req.method === 'HEAD') return null;
  // getcustomerdata answers hosts' dialplans in their fixed shape even when refusing (fail open).
  if (t.spec.name.includes('getcustomerdata') && res.body === '{"Name":"","DialPlan":null}') return null;
  const type = String(res.headers['content-type'] ?? '');
  if (type.includes('text/html'))
    return /data-denied="\w+"/.test(res.body) ? null : `${res.statusCode} HTML without a reason`;
  try {
    const b = JSON.parse(res.body) as Record<string, unknown>;
    const reason = [b.message, b.description, b.code, b.error].find((v) => typeof v === 'string' && v.length > 0);
    return reason ? null : `${res.statusCode} without a reason: ${res.body.slice(0, 200)}`;
  } catch {
    return `${res.statusCode} body is not JSON: ${res.body.slice(0, 200)}`;
  }
}

const describeReq = (r: FuzzRequest) =>
  `${r.kind}: ${r.method} ${r.url.slice(0, 160)} ${JSON.stringify(r.headers).slice(0, 200)} ${
    r.payload === undefined ? '' : Buffer.isBuffer(r.payload) ? `<${r.payload.length} bytes>` : r.payload.slice(0, 200)
  }`;

async function fire(
  t: Target,
  count: number,
  seed: number,
  tally: Map<string, Record<string, number>>,
  failures: string[],
) {
  const rng = createRng(seed);
  const queue: FuzzRequest[] = [];
  while (queue.length < count) {
    const req = generate(rng, t.spec);
    if (!t.skip?.(req)) queue.push(req);
  }
  const counts = tally.get(t.spec.name) ?? {};
  tally.set(t.spec.name, counts);
  let next = 0;
  await Promise.all(
    Array.from({ length: t.lanes ?? LANES }, async () => {
      while (next < queue.length) {
        const req = queue[next++]!;
        const res = await t.app.inject({
          method: req.method as 'GET',
          url: req.url,
          headers: req.headers,
          payload: req.payload,
        });
        await t.after?.(req, res.statusCode);
        const klass = `${Math.floor(res.statusCode / 100)}xx`;
        counts[klass] = (counts[klass] ?? 0) + 1;
        counts.total = (counts.total ?? 0) + 1;
        const bad = verdict(t, req, res);
        if (bad && failures.length < 8) failures.push(`[${t.spec.name}] ${bad}\n    ← ${describeReq(req)}`);
      }
    }),
  );
}

beforeAll(async () => {
  process.on('uncaughtException', onProcessError);
  process.on('unhandledRejection', onProcessError);
  w = await createWorld();
  admin = await login(w);
  w.logs.keep = false; // scanned line by line; keeping 10 000 lines would weigh on the memory check
  console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} pnpm test:fuzz)`);
}, 60_000);

afterAll(async () => {
  process.off('uncaughtException', onProcessError);
  process.off('unhandledRejection', onProcessError);
  await w?.close();
}, 60_000);

describe(`fuzz (seed ${SEED})`, () => {
  const tally = new Map<string, Record<string, number>>();
  let all: Target[];
  let before: NodeJS.MemoryUsage;
  let started: number;

  beforeAll(async () => {
    all = targets(w, admin, SCALE);
    expect(all.map((t) => t.spec.name)).toEqual([...ENDPOINTS]);
    // Warm-up: every code path loaded, pools and caches at their working size, before the baseline.
    for (const [i, t] of all.entries()) await fire(t, 60, SEED + 1000 + i, new Map(), []);
    before = await heapAfterGc();
    started = Date.now();
  }, 120_000);

  it.each(ENDPOINTS.map((name, i) => [name, i] as const))(
    '%s: a 4xx with a reason for bad input (2xx when valid by chance), never a 5xx',
    async (name, i) => {
      const t = all[i]!;
      const failures: string[] = [];
      await fire(t, t.count, SEED + i, tally, failures);
      console.log(`${name} (seed ${SEED + i}): ${JSON.stringify(tally.get(name))}`);
      expect(failures, failures.join('\n')).toEqual([]);
    },
  );

  it('ran ≥ 10 000 requests with no process error, no secret in any log line, heap back near its baseline, every service still serving', async () => {
    const seconds = (Date.now() - started) / 1000;
    const after = await heapAfterGc();
    const total = [...tally.values()].reduce((s, c) => s + (c.total ?? 0), 0);
    console.table(Object.fromEntries(tally));
    console.log(
      `fuzz: ${total} requests in ${seconds.toFixed(1)} s (seed ${SEED}); heapUsed after GC ${(before.heapUsed / MB).toFixed(1)} → ${(after.heapUsed / MB).toFixed(1)} MB, ` +
        `rss ${(before.rss / MB).toFixed(1)} → ${(after.rss / MB).toFixed(1)} MB; ${w.logs.count} log lines scanned`,
    );
    expect(processErrors.map(String)).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(10_000 * Math.min(1, SCALE));
    expect(w.logs.leaks, JSON.stringify(w.logs.leaks.slice(0, 5))).toEqual([]);
    expect((after.heapUsed - before.heapUsed) / MB).toBeLessThan(30);
    for (const app of [w.intake, w.gateway, w.retailcrm, w.asterisk])
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
