// Regressions found by the fuzz (issue 7 §3) in the admin API: a repeated journal filter
// (?phone=1&phone=2 arrives as an array) and an impossible date (?from=9999-99-99, PostgreSQL's ::date
// cast) were 500s; a RetailCRM domain DNS cannot hold (a 600-character label) was saved and every CRM
// call after it failed with a 502. Now: filters that are not one string or a real day are ignored,
// and such a domain is a 400 with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browser, operatorLink } from './admin-helpers.ts';
import { createWorld, ENTERPRISE, type World } from './fixtures.ts';

let w: World;
let b: ReturnType<typeof browser>;

beforeAll(async () => {
  w = await createWorld();
  b = browser(w.app);
  const link = await operatorLink(w.sql, w.app, ENTERPRISE);
  expect((await b.open(link.url.replace(/^https?:\/\/[^/]+/, ''))).statusCode).toBe(303);
  expect((await b.api('GET', '/state')).statusCode).toBe(200);
});
afterAll(() => w.close());

describe('journal filters', () => {
  it.each([
    '?phone=375&phone=44',
    '?callId=a&callId=b',
    '?status=ok&status=error&page=1&page=2',
    '?from=9999-99-99&to=0000-00-00',
    '?from=2024-02-30&to=2023-02-29',
    '?from=2024-01-01&from=2024-02-01',
  ])('%s → 200, the unusable filter ignored', async (query) => {
    const res = await b.api('GET', `/journal${query}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ page: 1, rows: expect.any(Array) });
  });
});

describe('connection domain', () => {
  it.each([
    ['a label over 63 characters', `https://${'x'.repeat(600)}`],
    ['a name over 253 characters', `https://${Array.from({ length: 8 }, () => 'y'.repeat(40)).join('.')}.ru`],
  ])('%s → 400 with the reason, nothing saved', async (_name, domain) => {
    const before =
      await w.sql`select integrations_config->'retailcrm'->>'domain' as d from enterprises where number = ${ENTERPRISE}`;
    const res = await b.api('PUT', '/connection', { domain, apiKey: 'crm-key-new-0123456789', enabled: true });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'RCRM_ADMIN_BAD_INPUT' });
    expect(
      await w.sql`select integrations_config->'retailcrm'->>'domain' as d from enterprises where number = ${ENTERPRISE}`,
    ).toEqual(before);
  });
});
