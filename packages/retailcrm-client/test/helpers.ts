import { createRetailCrmFake, type RetailCrmFakeOptions } from '@fleet/retailcrm-fake';
import { createRetailCrmClient, type CrmExchange, type RetailCrmClientOptions } from '../src/index.ts';

export const KEY = 'rcrm-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0';

/** A fake on a loopback port and a client pointed at it; `exchanges` collects onExchange records. */
export async function setup(
  fakeOpts: Partial<RetailCrmFakeOptions> = {},
  clientOpts: Partial<RetailCrmClientOptions> = {},
) {
  const fake = createRetailCrmFake({ apiKeys: [{ key: KEY }], ...fakeOpts });
  const baseUrl = await fake.listen();
  const exchanges: CrmExchange[] = [];
  const client = createRetailCrmClient({
    domain: baseUrl,
    apiKey: KEY,
    retry: { minTimeoutMs: 10, maxTimeoutMs: 50 },
    onExchange: (x) => {
      exchanges.push(x);
    },
    ...clientOpts,
  });
  return { fake, baseUrl, client, exchanges };
}
