// Tasks, customers and the detailed telephony/manager against the strict fake over real HTTP (issue 14):
// what RetailCRM receives and answers, and which calls are never repeated after an unknown outcome.
import { afterEach, describe, expect, it } from 'vitest';
import { formatCrmTaskDate, isCrmNotFound, type NewTask } from '../src/index.ts';
import { KEY, setup } from './helpers.ts';

let ctx: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  await ctx?.fake.close();
  ctx = undefined;
});

const USERS = [
  { id: 18, firstName: 'Anna', lastName: 'K', active: true },
  { id: 19, firstName: 'Boris', active: true },
];
const SMIRNOVA = { id: 501, firstName: 'Анна', lastName: 'Смирнова', phones: [{ number: '8 029 123-45-67' }] };
const TASK: NewTask = {
  text: 'Пропущенный звонок +375291234567 в 14:30',
  performerId: 18,
  datetime: '2024-03-01 14:45',
  customer: { id: 501 },
  phone: '+375291234567',
};

describe('tasks', () => {
  it('create, read, complete and list: the fake receives `task` as JSON and `site` as its own field', async () => {
    ctx = await setup({ users: USERS, customers: [SMIRNOVA], rateLimitPerSecond: { general: 100 } });
    const { id } = await ctx.client.createTask(TASK, { site: 'main' });
    expect(id).toBe(1);
    expect(ctx.exchanges[0]).toMatchObject({ status: 201, request: { task: TASK, site: 'main' } });
    expect(ctx.fake.state.tasks).toMatchObject([{ site: 'main', task: { performer: 18, text: TASK.text } }]);
    expect((await ctx.client.getTask(id)).task).toMatchObject({
      id,
      complete: false,
      performer: 18,
      customer: { id: 501 },
      datetime: '2024-03-01 14:45',
    });
    await ctx.client.createTask({ ...TASK, performerId: 19, customer: undefined });
    expect(await ctx.client.editTask(id, { complete: true, commentary: 'перезвонила Anna K в 14:32' })).toEqual({
      success: true,
    });
    const open = await ctx.client.listTasks({ filter: { performers: [18, 19], status: 'performing' } });
    expect(open.tasks.map((t) => t.id)).toEqual([2]);
    expect(open.pagination).toEqual({ limit: 20, totalCount: 1, currentPage: 1, totalPageCount: 1 });
    const done = await ctx.client.listTasks({ limit: 50, filter: { status: 'completed', text: 'Пропущенный' } });
    expect(done.tasks).toMatchObject([{ id, complete: true, commentary: 'перезвонила Anna K в 14:32' }]);
    expect(ctx.exchanges.at(-2)!.request).toEqual({
      'filter[performers][]': ['18', '19'],
      'filter[status]': 'performing',
    });
    expect(ctx.fake.state.rejections).toEqual([]);
  });

  it('checks our own preconditions before sending: blank text, performerId, datetime with seconds, id', async () => {
    ctx = await setup({ users: USERS });
    const bad: NewTask[] = [
      { ...TASK, text: ' ' },
      { ...TASK, performerId: 0 },
      { ...TASK, datetime: '2024-03-01 14:45:00' },
    ];
    for (const task of bad) {
      await expect(ctx.client.createTask(task)).rejects.toMatchObject({ code: 'RCRM_INVALID_REQUEST' });
    }
    await expect(ctx.client.editTask(-1, { complete: true })).rejects.toMatchObject({ code: 'RCRM_INVALID_REQUEST' });
    await expect(ctx.client.getTask(1.5)).rejects.toMatchObject({ code: 'RCRM_INVALID_REQUEST' });
    expect(ctx.exchanges).toEqual([]);
  });

  it("RetailCRM's refusal is a permanent RCRM_REJECTED with its field errors (unknown performer)", async () => {
    ctx = await setup({ users: USERS });
    await expect(ctx.client.createTask({ ...TASK, customer: undefined, performerId: 77 })).rejects.toMatchObject({
      code: 'RCRM_REJECTED',
      status: 400,
      transient: false,
      errorMsg: 'Task is not loaded',
      errors: { performerId: expect.any(String) },
    });
    expect(ctx.exchanges).toHaveLength(1);
  });

  it('a task deleted in RetailCRM: edit and read fail once with a 404 that isCrmNotFound names', async () => {
    ctx = await setup({ users: USERS, customers: [SMIRNOVA] });
    const { id } = await ctx.client.createTask(TASK);
    ctx.fake.deleteTask(id);
    const err = await ctx.client.editTask(id, { complete: true }).catch((e: unknown) => e);
    expect(isCrmNotFound(err)).toBe(true);
    expect(err).toMatchObject({ code: 'RCRM_REJECTED', status: 404, transient: false });
    expect(isCrmNotFound(await ctx.client.getTask(id).catch((e: unknown) => e))).toBe(true);
    expect(ctx.exchanges).toHaveLength(3);
  });

  it('a task closed by the manager reads complete: the caller can leave it alone', async () => {
    ctx = await setup({ users: USERS, customers: [SMIRNOVA] });
    const { id } = await ctx.client.createTask(TASK);
    ctx.fake.completeTask(id, 'закрыла вручную');
    expect((await ctx.client.getTask(id)).task).toMatchObject({ complete: true, commentary: 'закрыла вручную' });
  });

  it('needs task_write: a key without it is RCRM_UNAUTHORIZED, not retried', async () => {
    ctx = await setup({ users: USERS, apiKeys: [{ key: KEY, scopes: ['telephony_write', 'task_read'] }] });
    await expect(ctx.client.createTask({ ...TASK, customer: undefined })).rejects.toMatchObject({
      code: 'RCRM_UNAUTHORIZED',
      status: 403,
    });
    expect(ctx.exchanges).toHaveLength(1);
  });
});

describe('a create is never repeated after an unknown outcome', () => {
  it('createTask: RetailCRM created the task but the answer timed out → one attempt, one task', async () => {
    ctx = await setup(
      { users: USERS, customers: [SMIRNOVA], faults: { hangAfterNext: 1, hangMs: 600 } },
      { timeoutMs: 150 },
    );
    await expect(ctx.client.createTask(TASK)).rejects.toMatchObject({ code: 'RCRM_TIMEOUT', unknownOutcome: true });
    expect(ctx.exchanges).toHaveLength(1);
    expect(ctx.fake.state.tasks).toHaveLength(1);
  });

  it('createTask: a 503 (certainly not performed) is retried and creates exactly one task', async () => {
    ctx = await setup({ users: USERS, customers: [SMIRNOVA], faults: { fail503Next: 1 } });
    expect(await ctx.client.createTask(TASK)).toEqual({ success: true, id: 1 });
    expect(ctx.exchanges.map((x) => x.status)).toEqual([503, 201]);
    expect(ctx.fake.state.tasks).toHaveLength(1);
  });

  it('editTask is repeatable: the same timeout is retried and the task ends complete', async () => {
    ctx = await setup({ users: USERS, customers: [SMIRNOVA] }, { timeoutMs: 150 });
    const { id } = await ctx.client.createTask(TASK);
    ctx.fake.setFaults({ hangAfterNext: 1, hangMs: 600 });
    await expect(ctx.client.editTask(id, { complete: true })).resolves.toEqual({ success: true });
    expect(ctx.exchanges.slice(1).map((x) => x.error?.code ?? x.status)).toEqual(['RCRM_TIMEOUT', 200]);
    expect(ctx.fake.state.tasks[0]!.task.complete).toBe(true);
  });

  it('createCustomer: the same timeout → one attempt, one customer', async () => {
    ctx = await setup({ faults: { hangAfterNext: 1, hangMs: 600 } }, { timeoutMs: 150 });
    await expect(ctx.client.createCustomer({ phones: [{ number: '+375447654321' }] })).rejects.toMatchObject({
      code: 'RCRM_TIMEOUT',
      unknownOutcome: true,
    });
    expect(ctx.exchanges).toHaveLength(1);
    expect(ctx.fake.customersWithPhone('+375447654321')).toHaveLength(1);
  });
});

describe('customers and the caller identity', () => {
  it('an unknown caller: telephonyManager finds nobody, createCustomer adds them, then the number finds them', async () => {
    ctx = await setup({ users: USERS, customers: [SMIRNOVA], managerByPhone: { '+375291234567': 18 } });
    const unknown = await ctx.client.telephonyManager('+375447654321', { details: true });
    expect(unknown.customer).toBeUndefined();
    expect(unknown.manager).toBeUndefined();
    expect(unknown.links?.newCustomerLink).toContain('/customers/add?phone=');
    const { id } = await ctx.client.createCustomer({ phones: [{ number: '+375447654321' }] }, { site: 'main' });
    expect(ctx.exchanges.at(-1)).toMatchObject({ status: 201, request: { site: 'main' } });
    const known = await ctx.client.telephonyManager('8 044 765-43-21', { details: true });
    expect(known.customer).toEqual({ id, phones: [{ number: '+375447654321' }] });
    expect(known.links?.customerLink).toMatch(new RegExp(`/customers/${id}$`));
  });

  it('a known caller in another format: manager, customer name and links in one answer', async () => {
    ctx = await setup({ users: USERS, customers: [SMIRNOVA], managerByPhone: { '+375291234567': 18 } });
    const r = await ctx.client.telephonyManager('+375 (29) 123-45-67', { details: true });
    expect(r.manager).toMatchObject({ id: 18, firstName: 'Anna', lastName: 'K' });
    expect(r.customer).toMatchObject({ id: 501, firstName: 'Анна', lastName: 'Смирнова' });
    expect(r.links).toMatchObject({ customerLink: expect.any(String), newOrderLink: expect.any(String) });
    expect((await ctx.client.telephonyManager('+375291234567')).customer).toBeUndefined();
    await expect(ctx.client.telephonyManager(' ')).rejects.toMatchObject({ code: 'RCRM_INVALID_REQUEST' });
  });

  it('createCustomer refuses a phone without a number before sending; RetailCRM refuses a bad e-mail', async () => {
    ctx = await setup();
    await expect(ctx.client.createCustomer({ phones: [{ number: '' }] })).rejects.toMatchObject({
      code: 'RCRM_INVALID_REQUEST',
    });
    await expect(ctx.client.createCustomer({ email: 'no-at-sign' })).rejects.toMatchObject({
      code: 'RCRM_REJECTED',
      status: 400,
      errors: { email: expect.any(String) },
    });
  });
});

describe('formatCrmTaskDate', () => {
  it("gives a task's due time as 'Y-m-d H:i' in the account's zone, seconds dropped", () => {
    expect(formatCrmTaskDate(0, 'Europe/Minsk')).toBe('1970-01-01 03:00');
    expect(formatCrmTaskDate(Date.UTC(2024, 2, 1, 11, 44, 59), 'Europe/Minsk')).toBe('2024-03-01 14:44');
    expect(formatCrmTaskDate(Date.UTC(2024, 2, 1, 11, 44, 59), 'Asia/Almaty')).toMatch(/^2024-03-01 1[67]:44$/);
  });
});
