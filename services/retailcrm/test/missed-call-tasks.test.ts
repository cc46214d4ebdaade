// Missed-call tasks (issue 14) as RetailCRM sees them: one task per missed customer call whatever the
// gateway retries, one shared open task per number until a callback, completed by the first answered
// call with the number (in or out), a manager's own close or delete respected, and nothing at all while
// the enterprise has the feature off.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { saveMissedCallTasks } from '@fleet/retailcrm-admin';
import { answered, createWorld, ENTERPRISE, hangup, missed, post, STARTED_AT, type World } from './fixtures.ts';

/** A client the account knows, with responsible manager 19. */
const KNOWN = '+375 44 000-00-09';

let w: World;
beforeAll(async () => {
  w = await createWorld(
    {},
    { customers: [{ id: 501, firstName: 'Анна', phones: [{ number: KNOWN }], managerId: 19 }] },
  );
});
afterAll(() => w.close());
beforeEach(() => tasksOn());
afterEach(async () => {
  w.fake.reset();
  await w.sql`truncate retailcrm_call_steps, integration_logs, retailcrm_missed_tasks`;
});

const tasksOn = (fallbackUserId: number | null = null, enabled = true, dueMinutes = 15) =>
  saveMissedCallTasks(w.sql, ENTERPRISE, { enabled, fallbackUserId, dueMinutes });

/** A hangup posted with its dial already performed (the popup is not what these tests are about). */
async function hang(c: ReturnType<typeof missed>) {
  await w.sql`
    insert into retailcrm_call_steps (enterprise, call_id, step, status)
    values (${ENTERPRISE}, ${c.callId}, 'event:dial:dial:1', 'done') on conflict do nothing`;
  const res = await post(w.app, hangup(c));
  return { status: res.statusCode, body: res.json() as { steps: Array<{ step: string; outcome: string }> } };
}
const taskSteps = (body: { steps: Array<{ step: string; outcome: string }> }) =>
  body.steps.filter((s) => s.step.startsWith('task'));
const rows = () =>
  w.sql<{ status: string; task_id: number | null; close_reason: string | null; closed_by: string | null }[]>`
    select status, task_id::int, close_reason, closed_by from retailcrm_missed_tasks order by id`;
const tasks = () => w.fake.state.tasks.map((t) => t.task);

/** A later call with the same client, `min` minutes after the first missed one. */
const later = (min: number, id: string) => ({ callId: id, legs: [id], startedAt: STARTED_AT + min * 60_000 });

describe('a missed call', () => {
  it('creates one task for the manager of the first extension that rang, due in 15 minutes, and never a second one', async () => {
    const before = Date.now();
    const first = await hang(missed());
    expect(first.status).toBe(200);
    expect(taskSteps(first.body)).toEqual([{ step: 'task:missed', outcome: 'done' }]);
    expect(tasks()).toHaveLength(1);
    const t = tasks()[0]!;
    expect(t).toMatchObject({
      performer: 18,
      phone: '+375440000001',
      complete: false,
      text: 'Пропущенный звонок от +375440000001 в 01.03.2024 10:00. Перезвоните клиенту.',
    });
    expect(t.customer).toBeUndefined();
    // Due: now + 15 min in Europe/Minsk (UTC+3), 'Y-m-d H:i'.
    const due = Date.parse(`${t.datetime!.replace(' ', 'T')}:00+03:00`);
    expect(due).toBeGreaterThanOrEqual(before + 14 * 60_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    // The gateway retries the whole hangup: nothing is repeated.
    const again = await hang(missed());
    expect(taskSteps(again.body)).toEqual([{ step: 'task:missed', outcome: 'already_done' }]);
    expect(tasks()).toHaveLength(1);
    expect(await rows()).toEqual([{ status: 'open', task_id: t.id, close_reason: null, closed_by: null }]);
  });

  it("goes to the client's responsible manager and names the customer when RetailCRM knows the number", async () => {
    await hang(missed({ phone: '80440000009' }));
    expect(tasks()).toEqual([
      expect.objectContaining({ performer: 19, customer: expect.objectContaining({ id: 501 }) }),
    ]);
  });

  it('goes to the fallback user when the first extension that rang has no manager; is skipped without one', async () => {
    const none = await hang(missed({ ringing: ['153', '151'] }));
    expect(taskSteps(none.body)).toEqual([
      { step: 'task:missed', outcome: 'skipped', reason: expect.stringContaining('no performer') },
    ]);
    expect(tasks()).toHaveLength(0);
    expect(await rows()).toEqual([]);
    await tasksOn(19);
    await hang(missed({ ...later(1, '1709276405.102'), ringing: ['153', '151'] }));
    expect(tasks().map((t) => t.performer)).toEqual([19]);
  });

  it('several missed calls from one number, in any spelling, share the open task: its text says how many and when', async () => {
    await hang(missed());
    await hang(missed({ ...later(5, '1709276405.102'), phone: '8 044 000-00-01' }));
    await hang(missed({ ...later(12, '1709276405.103'), phone: '80440000001' }));
    expect(tasks()).toHaveLength(1);
    expect(tasks()[0]!.text).toBe(
      'Пропущенные звонки от 80440000001 (3): 01.03.2024 10:00, 01.03.2024 10:05, 01.03.2024 10:12. Перезвоните клиенту.',
    );
    expect(tasks()[0]!.commentary).toBe('Ещё один пропущенный звонок в 01.03.2024 10:12; всего пропущено: 3.');
    // A retried merge edits nothing more.
    const edits = w.fake.state.taskEdits.length;
    const again = await hang(missed({ ...later(12, '1709276405.103'), phone: '80440000001' }));
    expect(taskSteps(again.body)).toEqual([{ step: 'task:merge', outcome: 'already_done' }]);
    expect(w.fake.state.taskEdits).toHaveLength(edits);
  });

  it('an unanswered outgoing call creates no task', async () => {
    await hang(missed({ direction: 'out', ringing: ['151'] }));
    expect(tasks()).toHaveLength(0);
  });
});

describe('the callback completes the task', () => {
  it('an answered incoming call completes it, naming who reached the client; a retry edits nothing', async () => {
    await hang(missed());
    const res = await hang(answered({ ...later(20, '1709276405.110'), answeredAt: STARTED_AT + 20 * 60_000 + 7000 }));
    expect(taskSteps(res.body)).toEqual([{ step: 'task:callback', outcome: 'done' }]);
    expect(tasks()[0]).toMatchObject({
      complete: true,
      commentary:
        'Клиенту дозвонились: менеджер #18, внутренний номер 151, входящий звонок в 01.03.2024 10:20. Задача закрыта автоматически.',
    });
    expect((await rows())[0]).toMatchObject({
      status: 'closed',
      close_reason: 'callback',
      closed_by: '1709276405.110',
    });
    const edits = w.fake.state.taskEdits.length;
    const again = await hang(answered({ ...later(20, '1709276405.110'), answeredAt: STARTED_AT + 20 * 60_000 + 7000 }));
    expect(taskSteps(again.body)).toEqual([{ step: 'task:callback', outcome: 'already_done' }]);
    expect(w.fake.state.taskEdits).toHaveLength(edits);
  });

  it('an answered outgoing call (click-to-call) to the number in another spelling completes it', async () => {
    await hang(missed());
    const out = answered({
      ...later(30, '1709276405.111'),
      direction: 'out',
      phone: '8 044 000 00 01',
      ringing: ['152'],
      answeredBy: '152',
      answeredAt: STARTED_AT + 30 * 60_000 + 5000,
    });
    await hang(out);
    expect(tasks()[0]).toMatchObject({
      complete: true,
      commentary: expect.stringContaining('внутренний номер 152, исходящий звонок'),
    });
  });

  it('regression: a merged missed call retried after the callback opens no new task', async () => {
    await hang(missed());
    await hang(missed(later(5, '1709276405.102')));
    await hang(answered({ ...later(20, '1709276405.110'), answeredAt: STARTED_AT + 20 * 60_000 }));
    const retried = await hang(missed(later(5, '1709276405.102')));
    expect(taskSteps(retried.body)).toEqual([{ step: 'task:merge', outcome: 'already_done' }]);
    expect(tasks().map((t) => t.complete)).toEqual([true]);
  });

  it('the next missed call after a callback opens a new task', async () => {
    await hang(missed());
    await hang(answered({ ...later(20, '1709276405.110'), answeredAt: STARTED_AT + 20 * 60_000 }));
    await hang(missed(later(40, '1709276405.120')));
    expect(tasks().map((t) => t.complete)).toEqual([true, false]);
  });

  it('a task the manager closed in RetailCRM is left alone: no edit, marked closed', async () => {
    await hang(missed());
    w.fake.completeTask(tasks()[0]!.id, 'перезвонила сама');
    await hang(answered({ ...later(20, '1709276405.110'), answeredAt: STARTED_AT + 20 * 60_000 }));
    expect(w.fake.state.taskEdits).toHaveLength(0);
    expect(tasks()[0]!.commentary).toBe('перезвонила сама');
    expect((await rows())[0]).toMatchObject({ status: 'closed', close_reason: 'closed_in_crm', closed_by: null });
  });

  it('a task the manager deleted (404) is not retried; the next missed call gets a task of its own', async () => {
    await hang(missed());
    w.fake.deleteTask(tasks()[0]!.id);
    const res = await hang(missed(later(5, '1709276405.102')));
    expect(res.status).toBe(200);
    expect(taskSteps(res.body)).toEqual([
      { step: 'task:merge', outcome: 'done' },
      { step: 'task:missed', outcome: 'done' },
    ]);
    expect(tasks()).toHaveLength(1);
    expect((await rows()).map((r) => [r.status, r.close_reason])).toEqual([
      ['closed', 'deleted_in_crm'],
      ['open', null],
    ]);
    // Deleted again before the callback: the callback answers 200 and edits nothing.
    w.fake.deleteTask(tasks()[0]!.id);
    const cb = await hang(answered({ ...later(20, '1709276405.110'), answeredAt: STARTED_AT + 20 * 60_000 }));
    expect(cb.status).toBe(200);
    expect(w.fake.state.taskEdits).toHaveLength(0);
  });
});

describe('failures', () => {
  it('RetailCRM answering 503 to tasks/create: 503 to the gateway, and the retry creates the task once', async () => {
    w.fake.setFaults({ fail503Next: 2, path: '/api/v5/tasks/create' });
    const first = await hang(missed());
    expect(first.status).toBe(503);
    expect(tasks()).toHaveLength(0);
    const second = await hang(missed());
    expect(second.status).toBe(200);
    expect(taskSteps(second.body)).toEqual([{ step: 'task:missed', outcome: 'done' }]);
    expect(tasks()).toHaveLength(1);
  });

  it('tasks/create without an answer (timeout after RetailCRM created it) is never repeated', async () => {
    w.fake.setFaults({ hangAfterNext: 1, hangMs: 1500, path: '/api/v5/tasks/create' });
    const first = await hang(missed());
    expect(first.status).toBe(200);
    expect(taskSteps(first.body)).toEqual([
      { step: 'task:missed', outcome: 'unknown', reason: expect.stringContaining('not repeated') },
    ]);
    const again = await hang(missed());
    expect(taskSteps(again.body)).toEqual([{ step: 'task:missed', outcome: 'already_done' }]);
    expect(tasks()).toHaveLength(1);
    // The number is free again: the next missed call opens its own task rather than waiting for an id.
    expect((await rows()).map((r) => r.status)).toEqual(['lost']);
  });

  it('killed after RetailCRM answered but before the task was recorded: the retry takes its id from the journal', async () => {
    await hang(missed());
    const id = tasks()[0]!.id;
    // What the kill leaves: the reservation still creating, the step's lease run out, the answer journalled.
    await w.sql`update retailcrm_missed_tasks set status = 'creating', task_id = null`;
    await w.sql`update retailcrm_call_steps set status = 'running', lease_until = now() - interval '1 second' where step = 'task:missed'`;
    const res = await hang(missed());
    expect(taskSteps(res.body)).toEqual([{ step: 'task:missed', outcome: 'already_done' }]);
    expect(tasks()).toHaveLength(1);
    expect((await rows())[0]).toMatchObject({ status: 'open', task_id: id });
    // …so the callback still completes it.
    await hang(answered({ ...later(20, '1709276405.110'), answeredAt: STARTED_AT + 20 * 60_000 }));
    expect(tasks()[0]!.complete).toBe(true);
  });

  it('an attempt journalled without an answer (the process was killed) is not sent again', async () => {
    await w.sql`
      insert into integration_logs (enterprise, integration, kind, call_id, phone, method, url, request, ok, error, state, step)
      values (${ENTERPRISE}, 'retailcrm', 'task.create', '1709276405.101', '+375440000001', 'POST', 'x', '{}', false, 'cut', 'sent', 'task:missed')`;
    await w.sql`
      insert into retailcrm_call_steps (enterprise, call_id, step, status, lease_until)
      values (${ENTERPRISE}, '1709276405.101', 'task:missed', 'running', now() - interval '1 second')`;
    const res = await hang(missed());
    expect(taskSteps(res.body)).toEqual([{ step: 'task:missed', outcome: 'unknown', reason: expect.any(String) }]);
    expect(tasks()).toHaveLength(0);
  });
});

describe('the switch', () => {
  it('off (the default): a missed call and a callback send nothing about tasks', async () => {
    await tasksOn(19, false);
    const res = await hang(missed());
    expect(taskSteps(res.body)).toEqual([]);
    await hang(answered(later(20, '1709276405.110')));
    expect(tasks()).toHaveLength(0);
    expect(w.fake.state.rejections).toEqual([]);
    expect(await rows()).toEqual([]);
  });
});
