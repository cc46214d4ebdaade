// The API key never reaches onExchange (the service writes it to integration_logs): not in the URL,
// not in the request record, not even when the server echoes it back.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createRetailCrmClient, type CrmExchange } from '../src/index.ts';
import { KEY, setup } from './helpers.ts';

let ctx: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  await ctx?.fake.close();
  ctx = undefined;
});

describe('onExchange', () => {
  it('records every attempt without the key: success, rejection, 503, timeout', async () => {
    ctx = await setup({ faults: { fail503Next: 1 } });
    await ctx.client.callEvent({ phone: '1', type: 'in', codes: ['151'] });
    await ctx.client.callEvent({ phone: '1', type: 'in', codes: [] }).catch(() => {});
    await ctx.client.users({ limit: 20, filter: { active: 1 } });
    await ctx.client.editIntegrationModule('m', {
      code: 'm',
      name: 'M',
      logo: 'https://x.example/l.svg',
      baseUrl: 'https://x.example',
      clientId: 'client-secret-xyz',
    });
    ctx.fake.setFaults({ hangNext: 1, hangMs: 300 });
    const slow = createRetailCrmClient({
      domain: ctx.baseUrl,
      apiKey: KEY,
      timeoutMs: 50,
      retry: { retries: 0 },
      onExchange: (x) => void ctx!.exchanges.push(x),
    });
    await slow.credentials().catch(() => {});

    expect(ctx.exchanges.map((x) => x.status)).toEqual([503, 200, 400, 200, 201, undefined]);
    const text = JSON.stringify(ctx.exchanges);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('client-secret-xyz');
    expect(ctx.exchanges[0]).toMatchObject({
      method: 'POST',
      path: '/api/v5/telephony/call/event',
      request: { event: { phone: '1', type: 'in', codes: ['151'] } },
    });
    expect(ctx.exchanges[3]!.url).toContain('filter%5Bactive%5D=1');
  });

  it('scrubs the key from a response that echoes it', async () => {
    const echo = Fastify();
    echo.get('/api/credentials', (req) => ({ success: true, credentials: [], echoed: req.headers['x-api-key'] }));
    const base = await echo.listen({ port: 0, host: '127.0.0.1' });
    const seen: CrmExchange[] = [];
    const client = createRetailCrmClient({ domain: base, apiKey: KEY, onExchange: (x) => void seen.push(x) });
    const res = await client.credentials();
    await echo.close();
    expect((res as unknown as { echoed: string }).echoed).toBe(KEY);
    expect(seen[0]!.response).toContain('[redacted]');
    expect(JSON.stringify(seen)).not.toContain(KEY);
  });
});
