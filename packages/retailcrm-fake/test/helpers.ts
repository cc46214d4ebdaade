import { createRetailCrmFake, type RetailCrmFakeOptions } from '../src/index.ts';

export const KEY = 'test-key-0123456789abcdef0123456789';

/** POSTs a form to the fake through inject; `fields` objects are JSON-encoded like the contract wants. */
export function form(fields: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) p.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  return p.toString();
}

export function makeFake(extra: Partial<RetailCrmFakeOptions> = {}) {
  const fake = createRetailCrmFake({ apiKeys: [{ key: KEY }], ...extra });
  const post = (url: string, fields: Record<string, unknown>, headers: Record<string, string> = { 'x-api-key': KEY }) =>
    fake.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: form(fields),
    });
  const get = (url: string, headers: Record<string, string> = { 'x-api-key': KEY }) =>
    fake.app.inject({ method: 'GET', url, headers });
  return { fake, post, get };
}
