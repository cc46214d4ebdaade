// 503 backoff honouring Retry-After, timeouts, network errors, and the per-key rate limit that must
// never be exceeded (RetailCRM: 40 req/s telephony, 10 req/s otherwise, 503 above).
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, createRetailCrmClient, type CallEvent } from '../src/index.ts';
import { KEY, setup } from './helpers.ts';

let ctx: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  await ctx?.fake.close();
  ctx = undefined;
});
const EVENT: CallEvent = { phone: '+375440000001', type: 'in', codes: ['151'], callExternalId: 'c1' };

describe('503 and Retry-After', () => {
  it('retries a 503 after waiting Retry-After, then succeeds', async () => {
    ctx = await setup({ faults: { fail503Next: 1, retryAfterSec: 1 } });
    const t0 = Date.now();
    await expect(ctx.client.callEvent(EVENT)).resolves.toEqual({ success: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(ctx.exchanges.map((x) => [x.attempt, x.status, x.error?.code])).toEqual([
      [1, 503, 'RCRM_RATE_LIMITED'],
      [2, 200, undefined],
    ]);
    expect(ctx.fake.state.events).toHaveLength(1);
  });

  it('gives up after the bounded retries with a transient RCRM_RATE_LIMITED', async () => {
    ctx = await setup({ faults: { fail503Next: 10 } }, { retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 } });
    await expect(ctx.client.callEvent(EVENT)).rejects.toMatchObject({
      code: 'RCRM_RATE_LIMITED',
      transient: true,
      status: 503,
    });
    expect(ctx.exchanges).toHaveLength(3);
  });

  it('does not sit out a Retry-After longer than maxRetryAfterMs', async () => {
    ctx = await setup({ faults: { fail503Next: 1, retryAfterSec: 60 } });
    await expect(ctx.client.callEvent(EVENT)).rejects.toMatchObject({
      code: 'RCRM_RATE_LIMITED',
      retryAfterMs: 60_000,
    });
    expect(ctx.exchanges).toHaveLength(1);
  });
});

describe('timeouts and network errors', () => {
  it('times out a hanging server as RCRM_TIMEOUT and retries', async () => {
    ctx = await setup({ faults: { hangNext: 1, hangMs: 600 } }, { timeoutMs: 150 });
    await expect(ctx.client.credentials()).resolves.toMatchObject({ success: true });
    expect(ctx.exchanges[0]).toMatchObject({
      attempt: 1,
      status: undefined,
      ok: false,
      error: { code: 'RCRM_TIMEOUT' },
    });
    expect(ctx.exchanges[0]!.latencyMs).toBeLessThan(500);
    expect(ctx.exchanges[1]).toMatchObject({ attempt: 2, status: 200, ok: true });
  });

  it('reports RCRM_TIMEOUT when every attempt hangs', async () => {
    ctx = await setup(
      { faults: { hangNext: 5, hangMs: 500 } },
      { timeoutMs: 100, retry: { retries: 1, minTimeoutMs: 10 } },
    );
    await expect(ctx.client.credentials()).rejects.toMatchObject({ code: 'RCRM_TIMEOUT', transient: true });
    expect(ctx.exchanges).toHaveLength(2);
  });

  it('reports a refused connection as a transient RCRM_NETWORK', async () => {
    const exchanges: unknown[] = [];
    const client = createRetailCrmClient({
      domain: 'http://127.0.0.1:9',
      apiKey: KEY,
      retry: { retries: 1, minTimeoutMs: 10 },
      onExchange: (x) => void exchanges.push(x),
    });
    await expect(client.credentials()).rejects.toMatchObject({ code: 'RCRM_NETWORK', transient: true });
    expect(exchanges).toHaveLength(2);
  });
});

describe('rate limit', () => {
  it('two clients sharing one limiter never exceed 40 telephony requests per second at the server', async () => {
    const limiter = createRateLimiter();
    ctx = await setup({}, { limiter });
    const other = createRetailCrmClient({ domain: ctx.baseUrl, apiKey: KEY, limiter });
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        (i % 2 ? ctx!.client : other).callEvent({ ...EVENT, callExternalId: `c${i}` }),
      ),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000); // 90 requests at 40/s need two full windows
    expect(ctx.fake.state.events).toHaveLength(90);
    expect(ctx.fake.state.rejections).toEqual([]);
    expect(ctx.fake.state.requestsPerSecond.key0!.telephony.max).toBeLessThanOrEqual(40);
  }, 10_000);

  it('never exceeds 10 general requests per second', async () => {
    ctx = await setup({}, { limiter: createRateLimiter() });
    await Promise.all(Array.from({ length: 25 }, () => ctx!.client.credentials()));
    expect(ctx.fake.state.rejections).toEqual([]);
    expect(ctx.fake.state.requestsPerSecond.key0!.general.max).toBeLessThanOrEqual(10);
  }, 10_000);

  it('regression: clients with separate limiters for one key do trip the server limit', async () => {
    ctx = await setup({}, { retry: { retries: 0 } });
    const other = createRetailCrmClient({ domain: ctx.baseUrl, apiKey: KEY, retry: { retries: 0 } });
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? ctx!.client : other).callEvent(EVENT)),
    );
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    expect(ctx.fake.state.rejections.some((r) => r.reason === 'rate_limit')).toBe(true);
  });
});

describe('call/event has no idempotency key: never repeated after an unknown outcome', () => {
  it('does not retry a call/event that timed out after it was sent (the CRM may have shown the popup)', async () => {
    ctx = await setup(
      { faults: { hangNext: 1, hangMs: 600 } },
      { timeoutMs: 150, retry: { retries: 2, minTimeoutMs: 10 } },
    );
    await expect(ctx.client.callEvent(EVENT)).rejects.toMatchObject({ code: 'RCRM_TIMEOUT', unknownOutcome: true });
    expect(ctx.exchanges).toHaveLength(1);
  });

  it('retries a call/event the CRM certainly did not perform: its rate limit (503), a refused connection', async () => {
    ctx = await setup({ faults: { fail503Next: 1 } }, { retry: { retries: 2, minTimeoutMs: 10 } });
    await expect(ctx.client.callEvent(EVENT)).resolves.toEqual({ success: true });
    expect(ctx.exchanges.map((x) => x.status)).toEqual([503, 200]);
    const exchanges: unknown[] = [];
    const refused = createRetailCrmClient({
      domain: 'http://127.0.0.1:9',
      apiKey: KEY,
      retry: { retries: 1, minTimeoutMs: 10 },
      onExchange: (x) => void exchanges.push(x),
    });
    await expect(refused.callEvent(EVENT)).rejects.toMatchObject({ code: 'RCRM_NETWORK', unknownOutcome: false });
    expect(exchanges).toHaveLength(2);
  });
});
