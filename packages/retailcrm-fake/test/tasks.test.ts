// tasks/create, tasks/{id}/edit, tasks, tasks/{id} answer as RetailCRM does (api-client-php's TasksTest,
// api-client-go's TaskChange tests): 201 {success, id} on create, `performer` on read, 404 for an unknown
// task, RetailCRM's 400 shape for what it refuses, scopes and faults like every other method.
import { afterEach, describe, expect, it } from 'vitest';
import { summarize } from '../src/index.ts';
import { KEY, makeFake } from './helpers.ts';

const CREATE = '/api/v5/tasks/create';
const USERS = [
  { id: 18, firstName: 'Anna', active: true },
  { id: 19, firstName: 'Boris', active: true },
];
const CUSTOMERS = [{ id: 501, firstName: 'Анна', lastName: 'Смирнова', phones: [{ number: '+375 29 123-45-67' }] }];
const TASK = { text: 'Перезвонить: пропущенный звонок', performerId: 18, datetime: '2024-03-01 14:45' };
let f: ReturnType<typeof makeFake>;
afterEach(() => f?.fake.close());

describe('tasks/create', () => {
  it('creates a task for the performer: 201 {success, id}, read back with performer and customer', async () => {
    f = makeFake({ users: USERS, customers: CUSTOMERS });
    const res = await f.post(CREATE, {
      task: { ...TASK, customer: { id: 501 }, phone: '+375291234567', commentary: 'пропущен в 14:30' },
      site: 'main',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ success: true, id: 1 });
    const got = (await f.get('/api/v5/tasks/1')).json();
    expect(got).toEqual({
      success: true,
      task: {
        id: 1,
        text: TASK.text,
        commentary: 'пропущен в 14:30',
        datetime: '2024-03-01 14:45',
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
        complete: false,
        performer: 18,
        performerType: 'user',
        customer: { type: 'customer', id: 501, site: 'main' },
        phone: '+375291234567',
      },
    });
    expect(f.fake.state.tasks).toMatchObject([{ key: 'key0', site: 'main', task: { id: 1 } }]);
  });

  it('refuses a task without text or performerId with RetailCRM 400 shape, and creates nothing', async () => {
    f = makeFake({ users: USERS });
    const res = await f.post(CREATE, { task: { commentary: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      success: false,
      errorMsg: 'Task is not loaded',
      errors: { text: 'This value should not be blank.', performerId: 'This value should not be blank.' },
    });
    expect((await f.post(CREATE, { task: { ...TASK, text: '  ' } })).json().errors).toEqual({
      text: 'This value should not be blank.',
    });
    expect((await f.post(CREATE, {})).json().errorMsg).toBe("Parameter 'task' is missing");
    expect(f.fake.state.tasks).toEqual([]);
    expect(f.fake.state.rejections.map((r) => r.reason)).toEqual(['validation', 'validation', 'missing_parameter']);
  });

  it("refuses a datetime not in 'Y-m-d H:i', an unknown performer, an unknown customer, an unknown store", async () => {
    f = makeFake({ users: USERS, customers: CUSTOMERS });
    for (const datetime of ['2024-03-01 14:45:00', '2024-03-01T14:45', '2024-02-30 10:00', '01.03.2024 14:45']) {
      expect((await f.post(CREATE, { task: { ...TASK, datetime } })).json().errors).toHaveProperty('datetime');
    }
    expect((await f.post(CREATE, { task: { ...TASK, performerId: 77 } })).json().errors).toHaveProperty('performerId');
    expect((await f.post(CREATE, { task: { ...TASK, performerId: '18' } })).json().errors).toHaveProperty(
      'performerId',
    );
    expect((await f.post(CREATE, { task: { ...TASK, customer: { id: 9 } } })).json().errors).toHaveProperty('customer');
    expect((await f.post(CREATE, { task: { ...TASK, customer: {} } })).json().errors).toHaveProperty('customer');
    expect((await f.post(CREATE, { task: TASK, site: 'elsewhere' })).statusCode).toBe(400);
    expect(f.fake.state.tasks).toEqual([]);
  });

  it('records task fields RetailCRM does not read (a `site` inside the task is ignored: it is a form field)', async () => {
    f = makeFake({ users: USERS });
    expect((await f.post(CREATE, { task: { ...TASK, site: 'main' } })).statusCode).toBe(201);
    expect(f.fake.state.ignoredFields).toEqual([{ path: CREATE, fields: ['site'] }]);
    expect(f.fake.state.tasks[0]).not.toHaveProperty('site');
  });

  it('needs the task_write scope (reading needs task_read)', async () => {
    f = makeFake({ apiKeys: [{ key: KEY, scopes: ['task_read'] }], users: USERS });
    const res = await f.post(CREATE, { task: TASK });
    expect(res.statusCode).toBe(403);
    expect(f.fake.state.rejections[0]).toMatchObject({ reason: 'scope', path: CREATE });
    expect((await f.get('/api/v5/tasks')).statusCode).toBe(200);
    await f.fake.close();
    f = makeFake({ apiKeys: [{ key: KEY, scopes: ['task_write'] }], users: USERS });
    expect((await f.get('/api/v5/tasks')).statusCode).toBe(403);
  });

  it('takes injected faults like every method: a 503 creates nothing, hangAfterNext creates and holds the answer', async () => {
    f = makeFake({ users: USERS, faults: { fail503Next: 1, path: '/api/v5/tasks' } });
    expect((await f.post(CREATE, { task: TASK })).statusCode).toBe(503);
    expect(f.fake.state.tasks).toHaveLength(0);
    f.fake.setFaults({ hangAfterNext: 1, hangMs: 50 });
    const t0 = Date.now();
    expect((await f.post(CREATE, { task: TASK })).statusCode).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(f.fake.state.tasks).toHaveLength(1);
  });
});

describe('tasks/{id}/edit', () => {
  it('completes a task with a commentary: 200 {success}, completedAt set, the edit recorded', async () => {
    f = makeFake({ users: USERS });
    await f.post(CREATE, { task: TASK });
    const res = await f.post('/api/v5/tasks/1/edit', { task: { complete: true, commentary: 'перезвонил Борис' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    const task = (await f.get('/api/v5/tasks/1')).json().task;
    expect(task).toMatchObject({ complete: true, commentary: 'перезвонил Борис', text: TASK.text, performer: 18 });
    expect(task.completedAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(f.fake.state.taskEdits).toMatchObject([{ id: 1, task: { complete: true } }]);
  });

  it('answers 404 Not found for an unknown, non-numeric or deleted task', async () => {
    f = makeFake({ users: USERS });
    await f.post(CREATE, { task: TASK });
    for (const id of ['7', 'abc']) {
      const res = await f.post(`/api/v5/tasks/${id}/edit`, { task: { complete: true } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ success: false, errorMsg: 'Not found' });
    }
    f.fake.deleteTask(1);
    expect((await f.post('/api/v5/tasks/1/edit', { task: { complete: true } })).statusCode).toBe(404);
    expect((await f.get('/api/v5/tasks/1')).statusCode).toBe(404);
    expect(f.fake.state.taskEdits).toEqual([]);
  });

  it('validates what an edit sends (blank text, a non-boolean complete, an unknown performer)', async () => {
    f = makeFake({ users: USERS });
    await f.post(CREATE, { task: TASK });
    const res = await f.post('/api/v5/tasks/1/edit', { task: { text: '', complete: 'yes', performerId: 5 } });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json().errors).sort()).toEqual(['complete', 'performerId', 'text']);
    expect((await f.get('/api/v5/tasks/1')).json().task.complete).toBe(false);
  });

  it('a task the manager completed in the UI reads back as complete', async () => {
    f = makeFake({ users: USERS });
    await f.post(CREATE, { task: TASK });
    f.fake.completeTask(1, 'сама перезвонила');
    expect((await f.get('/api/v5/tasks/1')).json().task).toMatchObject({
      complete: true,
      commentary: 'сама перезвонила',
    });
  });
});

describe('GET tasks', () => {
  async function three() {
    // Many requests in one second: above RetailCRM's 10/s, which another test covers.
    f = makeFake({ users: USERS, customers: CUSTOMERS, rateLimitPerSecond: { general: 1000 } });
    await f.post(CREATE, { task: { ...TASK, text: 'Перезвонить +375291234567', customer: { id: 501 } } });
    await f.post(CREATE, { task: { ...TASK, performerId: 19, text: 'Перезвонить +375447654321' } });
    await f.post(CREATE, { task: { ...TASK, text: 'Другое', datetime: '2024-03-02 09:00' } });
    await f.post('/api/v5/tasks/3/edit', { task: { complete: true } });
  }
  const ids = async (query: string) => {
    const res = await f.get(`/api/v5/tasks${query}`);
    expect(res.statusCode).toBe(200);
    return res.json().tasks.map((t: { id: number }) => t.id);
  };

  it('filters by performers[], status, text, customer, ids[] and due date, paginated like other lists', async () => {
    await three();
    expect(await ids('')).toEqual([1, 2, 3]);
    expect(await ids('?filter[performers][]=18')).toEqual([1, 3]);
    expect(await ids('?filter[performers][]=18&filter[performers][]=19&filter[status]=performing')).toEqual([1, 2]);
    expect(await ids('?filter[performers][0]=19')).toEqual([2]);
    expect(await ids('?filter[status]=completed')).toEqual([3]);
    expect(await ids(`?filter[text]=${encodeURIComponent('перезвонить')}`)).toEqual([1, 2]);
    expect(await ids(`?filter[customer]=${encodeURIComponent('Смирнова')}`)).toEqual([1]);
    expect(await ids('?filter[ids][]=2&filter[ids][]=3')).toEqual([2, 3]);
    expect(await ids('?filter[dateFrom]=2024-03-02')).toEqual([3]);
    expect(await ids('?filter[dateTo]=2024-03-01')).toEqual([1, 2]);
    const page = (await f.get('/api/v5/tasks?limit=20&page=2')).json();
    expect(page).toEqual({
      success: true,
      pagination: { limit: 20, totalCount: 3, currentPage: 2, totalPageCount: 1 },
      tasks: [],
    });
  });

  it('refuses a bad status, limit, non-integer performers, a scalar where an array belongs, an unknown filter', async () => {
    await three();
    for (const q of [
      '?filter[status]=open',
      '?limit=10',
      '?page=0',
      '?filter[performers][]=anna',
      '?filter[performers]=18',
      '?filter[performer][]=18',
      '?filter[dateFrom]=yesterday',
    ]) {
      const res = await f.get(`/api/v5/tasks${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().errorMsg, q).toBe('Errors in the input parameters');
    }
  });
});

describe('summarize', () => {
  it('lists tasks with their state and the customers created through the API', async () => {
    f = makeFake({ users: USERS });
    await f.post(CREATE, { task: TASK });
    await f.post('/api/v5/tasks/1/edit', { task: { complete: true, commentary: 'перезвонил' } });
    await f.post('/api/v5/customers/create', { customer: { phones: [{ number: '+375447654321' }] } });
    const text = summarize(f.fake.state);
    expect(text).toMatch(
      /task 1 → user 18 due 2024-03-01 14:45: Перезвонить: пропущенный звонок \[complete .*: перезвонил\]/,
    );
    expect(text).toContain('customer 1 created: +375447654321');
  });
});
