// The admin page's switch of missed-call tasks (issue 14): off by default, stored with the fallback
// user and the due delay, and refused with the missing scopes when the API key cannot read or write
// tasks — shown when the admin switches it on, not discovered at the first missed call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminWorld, loggedIn, retailcrmSection } from './admin-helpers.ts';
import { KEY, type World } from './fixtures.ts';
import { missingTaskScopes } from '../src/admin/scopes.ts';

const WITHOUT_TASKS = ['telephony_read', 'telephony_write', 'integration_read', 'integration_write', 'user_read'];

describe('missingTaskScopes', () => {
  it('reads `scopes` when sent, else the task methods listed (versioned or not)', () => {
    expect(missingTaskScopes({ scopes: ['task_read'], credentials: [] })).toEqual(['task_write']);
    expect(missingTaskScopes({ scopes: ['task_read', 'task_write'], credentials: [] })).toEqual([]);
    const methods = ['/api/v5/tasks/{id}', '/api/v5/tasks/create', '/api/v5/tasks/{id}/edit'];
    expect(missingTaskScopes({ credentials: methods })).toEqual([]);
    expect(missingTaskScopes({ credentials: methods.slice(0, 2) })).toEqual(['task_write']);
    expect(missingTaskScopes({ credentials: [] })).toEqual(['task_read', 'task_write']);
  });
});

describe('PUT /missed-call-tasks with a key that has every scope', () => {
  let w: World;
  beforeAll(async () => {
    w = await createAdminWorld();
  });
  afterAll(() => w.close());

  it('is off by default; switched on it stores the fallback user and the delay, and the state shows them', async () => {
    const b = await loggedIn(w);
    expect((await b.api('GET', '/state')).json().missedCallTasks).toEqual({
      enabled: false,
      fallbackUserId: null,
      dueMinutes: 15,
    });
    const res = await b.api('PUT', '/missed-call-tasks', { enabled: true, fallbackUserId: 19, dueMinutes: 30 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ missedCallTasks: { enabled: true, fallbackUserId: 19, dueMinutes: 30 } });
    expect((await b.api('GET', '/state')).json().missedCallTasks).toEqual({
      enabled: true,
      fallbackUserId: 19,
      dueMinutes: 30,
    });
    // Merged: the connection stays as it was.
    expect(await retailcrmSection(w.sql)).toMatchObject({
      enabled: true,
      domain: w.baseUrl,
      missed_call_tasks: { enabled: true, fallback_user_id: 19, due_minutes: 30 },
    });
    // An empty fallback field clears it.
    await b.api('PUT', '/missed-call-tasks', { enabled: false, fallbackUserId: '' });
    expect((await b.api('GET', '/state')).json().missedCallTasks).toEqual({
      enabled: false,
      fallbackUserId: null,
      dueMinutes: 30,
    });
  });

  it('bad values: 400 with the reason, nothing stored', async () => {
    const b = await loggedIn(w);
    const before = await retailcrmSection(w.sql);
    for (const body of [
      { enabled: 'yes' },
      { enabled: true, fallbackUserId: 'anna' },
      { enabled: true, fallbackUserId: -3 },
      { enabled: true, dueMinutes: 0 },
      { enabled: true, dueMinutes: 2.5 },
      { enabled: true, dueMinutes: 100_000 },
    ]) {
      const res = await b.api('PUT', '/missed-call-tasks', body);
      expect({ body, status: res.statusCode, code: res.json().code }).toEqual({
        body,
        status: 400,
        code: 'RCRM_ADMIN_BAD_INPUT',
      });
      expect(res.json().message).toMatch(/enabled|Запасной исполнитель|Срок задачи/);
    }
    expect(await retailcrmSection(w.sql)).toEqual(before);
  });
});

describe('PUT /missed-call-tasks with a key without task scopes', () => {
  let w: World;
  beforeAll(async () => {
    w = await createAdminWorld({ apiKeys: [{ key: KEY, scopes: WITHOUT_TASKS }] });
  });
  afterAll(() => w.close());

  it('switching on is refused with 422 naming task_read and task_write; nothing is stored; switching off still works', async () => {
    const b = await loggedIn(w);
    const res = await b.api('PUT', '/missed-call-tasks', { enabled: true, fallbackUserId: 19 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'RCRM_ADMIN_TASK_SCOPES_MISSING',
      missing: [
        { scope: 'task_read', title: expect.any(String) },
        { scope: 'task_write', title: expect.any(String) },
      ],
    });
    expect(res.json().message).toContain('task_read, task_write');
    expect((await retailcrmSection(w.sql))!.missed_call_tasks).toBeUndefined();
    expect((await b.api('PUT', '/missed-call-tasks', { enabled: false, dueMinutes: 20 })).statusCode).toBe(200);
    expect((await b.api('GET', '/state')).json().missedCallTasks).toEqual({
      enabled: false,
      fallbackUserId: null,
      dueMinutes: 20,
    });
  });
});
