// Customer creation for unknown numbers (issue 14, opt-in per enterprise) as RetailCRM sees it: a customer
// call from a number RetailCRM does not know (in any spelling) creates one customer with the number in
// international format, whatever the gateway retries and however many calls the number makes; a known
// number creates nothing; a create sent without an answer is never sent again; and the missed-call task of
// the same call names the new customer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { saveCreateCustomers, saveMissedCallTasks } from '@fleet/retailcrm-admin';
import { answered, createWorld, ENTERPRISE, hangup, missed, post, STARTED_AT, type World } from './fixtures.ts';

let w: World;
beforeAll(async () => {
  w = await createWorld({}, { customers: [{ id: 501, firstName: 'Анна', phones: [{ number: '+375 44 000-00-09' }] }] });
});
afterAll(() => w.close());
afterEach(async () => {
  w.fake.reset();
  w.fake.setFaults({});
  await w.sql`truncate retailcrm_call_steps, integration_logs, retailcrm_missed_tasks, retailcrm_created_customers`;
  await saveCreateCustomers(w.sql, ENTERPRISE, false);
  await saveMissedCallTasks(w.sql, ENTERPRISE, { enabled: false, fallbackUserId: null, dueMinutes: 15 });
});

/** A hangup posted with its dial already performed (the popup is not what these tests are about). */
async function hang(c: ReturnType<typeof missed>) {
  await w.sql`
    insert into retailcrm_call_steps (enterprise, call_id, step, status)
    values (${ENTERPRISE}, ${c.callId}, 'event:dial:dial:1', 'done') on conflict do nothing`;
  const res = await post(w.app, hangup(c));
  const body = res.json() as { steps?: Array<{ step: string; outcome: string; reason?: string }> };
  return { status: res.statusCode, step: body.steps?.find((s) => s.step === 'customer:create'), body };
}
const created = () => w.fake.state.customers.filter((c) => c.source === 'api').map((c) => c.customer);
const later = (min: number, id: string) => ({ callId: id, legs: [id], startedAt: STARTED_AT + min * 60_000 });

describe('customer creation', () => {
  it('off (the default): nothing is created', async () => {
    const r = await hang(answered());
    expect(r.status).toBe(200);
    expect(r.step).toBeUndefined();
    expect(created()).toEqual([]);
  });

  it('on: an unknown number becomes one customer (international format), never a second one', async () => {
    await saveCreateCustomers(w.sql, ENTERPRISE, true);
    const first = await hang(answered({ phone: '80440000001' }));
    expect(first.step).toEqual({ step: 'customer:create', outcome: 'done' });
    expect(created()).toEqual([expect.objectContaining({ phones: [{ number: '+375440000001' }] })]);
    // The gateway retries the hangup; a later call of the number in another spelling; a missed one.
    expect((await hang(answered({ phone: '80440000001' }))).step).toEqual({
      step: 'customer:create',
      outcome: 'already_done',
    });
    expect((await hang(missed({ ...later(5, '1709276405.102'), phone: '+375 44 000-00-01' }))).step).toMatchObject({
      outcome: 'skipped',
      reason: 'the number is handled by another call',
    });
    expect(created()).toHaveLength(1);
    const [row] = await w.sql<{ status: string; customer_id: number }[]>`
      select status, customer_id::int from retailcrm_created_customers`;
    const id = (created()[0] as { id?: number }).id;
    expect(id).toBeGreaterThan(0);
    expect(row).toEqual({ status: 'created', customer_id: id });
  });

  it('two calls of one unknown number ending at the same moment: one customer', async () => {
    await saveCreateCustomers(w.sql, ENTERPRISE, true);
    const calls = [answered(), answered({ ...later(1, '1709276405.102'), phone: '80440000001' })];
    const results = await Promise.all(calls.map((c) => hang(c)));
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(created()).toHaveLength(1);
  });

  it('a number RetailCRM knows in another spelling: nothing created', async () => {
    await saveCreateCustomers(w.sql, ENTERPRISE, true);
    const r = await hang(answered({ phone: '80440000009' }));
    expect(r.step).toMatchObject({ outcome: 'skipped', reason: 'RetailCRM knows the number' });
    expect(created()).toEqual([]);
    const [row] = await w.sql<{ status: string; customer_id: number }[]>`
      select status, customer_id::int from retailcrm_created_customers`;
    expect(row).toEqual({ status: 'exists', customer_id: 501 });
  });

  it('RetailCRM answers 503: the hangup is retried and the customer created once', async () => {
    await saveCreateCustomers(w.sql, ENTERPRISE, true);
    w.fake.setFaults({ fail503Next: 20, path: '/api/v5/customers/create' });
    const first = await hang(answered());
    expect(first.status).toBe(503);
    expect(created()).toEqual([]);
    w.fake.setFaults({});
    expect((await hang(answered())).step).toEqual({ step: 'customer:create', outcome: 'done' });
    expect(created()).toHaveLength(1);
  });

  it('a create sent without an answer (RetailCRM performed it, the answer timed out) is never sent again', async () => {
    await saveCreateCustomers(w.sql, ENTERPRISE, true);
    w.fake.setFaults({ hangAfterNext: 1, hangMs: 4000, path: '/api/v5/customers/create' });
    const first = await hang(answered());
    expect(first.step).toMatchObject({ step: 'customer:create', outcome: 'unknown' });
    expect(created()).toHaveLength(1); // RetailCRM did it
    w.fake.setFaults({});
    await hang(answered());
    await hang(answered({ ...later(3, '1709276405.102') }));
    expect(created()).toHaveLength(1);
  });

  it('the missed-call task of the same call names the customer just created', async () => {
    await saveCreateCustomers(w.sql, ENTERPRISE, true);
    await saveMissedCallTasks(w.sql, ENTERPRISE, { enabled: true, fallbackUserId: null, dueMinutes: 15 });
    const r = await hang(missed({ phone: '375440000055' }));
    expect(r.body.steps?.map((s) => s.step)).toEqual(
      expect.arrayContaining(['upload', 'customer:create', 'task:missed']),
    );
    const customer = created()[0] as { id?: number };
    expect(w.fake.state.tasks.map((t) => t.task.customer)).toEqual([expect.objectContaining({ id: customer.id })]);
  });
});
