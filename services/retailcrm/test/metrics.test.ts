// retailcrm's /metrics: every RetailCRM request's latency lands in a histogram by API path and status
// (from the client's exchange records), next to the request latency per route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promValue } from '../../../test/ops/prom-text.ts';
import { call, createWorld, dial, post, type World } from './fixtures.ts';

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => w.close());

describe('GET /metrics (retailcrm)', () => {
  it('times each RetailCRM request by API path and answer', async () => {
    expect((await post(w.app, dial(call(), ['151']))).statusCode).toBe(200);
    const text = (await w.app.inject({ url: '/metrics' })).body;
    const series = { path: '/api/v5/telephony/call/event', status: '200' };
    expect(promValue(text, 'fleet_retailcrm_request_duration_seconds_count', series)).toBe(1);
    expect(promValue(text, 'fleet_retailcrm_request_duration_seconds_bucket', { ...series, le: '+Inf' })).toBe(1);
    expect(
      promValue(text, 'fleet_http_request_duration_seconds_count', {
        route: '/internal/retailcrm/call-event',
        status_code: '200',
      }),
    ).toBe(1);
  });
});
