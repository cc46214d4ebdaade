// The missed-call task steps of a hangup (issue 14), run after the history record:
//  - a missed customer call: task:merge (edit the number's open task: one more call) or, when the number
//    has none, task:missed (tasks/create, NOT repeated after an unknown outcome, like call/event);
//  - an answered customer call (in or out): task:callback completes the number's open task.
// Each is a call step (retailcrm_call_steps + the attempt journal), so retries, kills and replays of the
// hangup perform it once; retailcrm_missed_tasks (store.ts) holds the open task of each number.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { formatCrmTaskDate, isCrmNotFound, RetailCrmError, type RetailCrmClient } from '@fleet/retailcrm-client';
import type { CallEventBody } from '@fleet/call-event';
import { nationalNumber } from '@fleet/validate/national-number';
import {
  callbackCommentary,
  isMissedCall,
  mergedCommentary,
  missedTaskText,
  performerOf,
  reachedClient,
} from '../domain/missed-call-task.ts';
import type { RetailCrmSettings } from '../domain/settings.ts';
import { StepInProgressError } from '../errors.ts';
import type { LogKind } from '../plugins/integration-logs.ts';
import type { StepReport } from '../routes/call-event.ts';
import type { MissedTaskStore } from './store.ts';
import { crmId, lookupNumber } from './number-lookup.ts';

export const TASK_STEPS = { create: 'task:missed', merge: 'task:merge', callback: 'task:callback' } as const;

export type RunStep = (
  step: string,
  kind: LogKind,
  action: (c: RetailCrmClient) => Promise<unknown>,
) => Promise<StepReport>;

export interface TaskStepContext {
  app: FastifyInstance;
  s: RetailCrmSettings;
  b: CallEventBody;
  run: RunStep;
  steps: StepReport[];
  store: MissedTaskStore;
  log: FastifyBaseLogger;
}

/** Runs the task step the ended call needs, if the enterprise switched missed-call tasks on. */
export async function taskSteps(x: TaskStepContext): Promise<void> {
  if (!x.s.missedCallTasks.enabled) return;
  const call = x.b.call;
  const key = nationalNumber(call.phone);
  if (key.length < 6) {
    if (isMissedCall(call) || reachedClient(call))
      x.steps.push({ step: 'task', outcome: 'skipped', reason: 'no client number to call back' });
    return;
  }
  if (isMissedCall(call)) await missed(x, key);
  else if (reachedClient(call)) await callback(x, key);
}

/** What RetailCRM says of a task now: open, completed (by a manager, or by us before a kill), or deleted. */
async function taskState(c: RetailCrmClient, id: number): Promise<'open' | 'complete' | 'deleted'> {
  try {
    return (await c.getTask(id)).task.complete ? 'complete' : 'open';
  } catch (err) {
    if (isCrmNotFound(err)) return 'deleted';
    throw err;
  }
}

async function missed(x: TaskStepContext, key: string): Promise<void> {
  const { s, b, store } = x;
  const call = b.call;
  const me = { callId: call.callId, at: call.startedAt };
  // A retry after this call was merged: done, even if the task was completed since (a create now would
  // open a task for a call that was already called back). A merge that found the task gone merged nothing.
  if (
    (await x.app.rcrmSteps.anyDone(s.enterprise, call.callId, [TASK_STEPS.merge])) &&
    (await store.mergedInto(s.enterprise, call.callId))
  ) {
    x.steps.push({ step: TASK_STEPS.merge, outcome: 'already_done' });
    return;
  }
  const cur = await store.current(s.enterprise, key);
  if (cur?.status === 'open' && cur.createdBy !== call.callId) {
    const merge = { gone: false };
    const r = await x.run(TASK_STEPS.merge, 'task.edit', async (c) => {
      const state = await taskState(c, cur.taskId!);
      if (state === 'open') {
        const calls = await store.addCall(cur.id, me);
        try {
          await c.editTask(cur.taskId!, {
            text: missedTaskText(call.phone, calls, s.timezone),
            commentary: mergedCommentary(calls, s.timezone),
          });
          return;
        } catch (err) {
          if (!isCrmNotFound(err)) throw err;
        }
      }
      // A manager closed or deleted it in RetailCRM: left alone; this call gets a task of its own.
      await store.close(cur.id, state === 'complete' ? 'closed_in_crm' : 'deleted_in_crm', null);
      merge.gone = true;
    });
    if (r.outcome === 'rejected' || (r.outcome === 'done' && !merge.gone)) return;
    // Retried after the merge: merged unless the number's task is no longer the one it merged into.
    if (r.outcome === 'already_done' && (await store.current(s.enterprise, key))?.id === cur.id) return;
  } else if (cur?.status === 'creating' && cur.createdBy !== call.callId) {
    // Another missed call of the number is creating its task: merge into it once it exists.
    throw Object.assign(new StepInProgressError(TASK_STEPS.create, cur.createdBy), {
      details: { step: TASK_STEPS.create, retry_after: 2 },
    });
  }
  await create(x, key, me);
}

async function create(x: TaskStepContext, key: string, me: { callId: string; at: number }): Promise<void> {
  const { app, s, b, store, log } = x;
  const call = b.call;
  // A retry after the step: nothing to reserve (the number may have a newer task by now).
  if (await app.rcrmSteps.anyDone(s.enterprise, call.callId, [TASK_STEPS.create])) {
    x.steps.push({ step: TASK_STEPS.create, outcome: 'already_done' });
    await settle(x);
    return;
  }
  const flags = { nobody: false };
  const r = await x.run(TASK_STEPS.create, 'task.create', async (c) => {
    const reserved = await store.reserve(s.enterprise, key, call.phone, me);
    if ('busy' in reserved)
      throw Object.assign(new StepInProgressError(TASK_STEPS.create, reserved.busy.createdBy), {
        details: { step: TASK_STEPS.create, retry_after: 2 },
      });
    if (reserved.status === 'open') return; // created and recorded; only the step's mark was lost
    const known = await responsible(app, s, b, log);
    const who = performerOf(call, s, known.managerId);
    if (!who) {
      await store.forget(reserved.id);
      flags.nobody = true;
      return;
    }
    let id: number;
    try {
      ({ id } = await c.createTask({
        text: missedTaskText(call.phone, [me], s.timezone),
        performerId: who.performerId,
        datetime: formatCrmTaskDate(Date.now() + s.missedCallTasks.dueMinutes * 60_000, s.timezone),
        ...(known.customerId !== undefined ? { customer: { id: known.customerId } } : {}),
        phone: call.phone,
      }));
    } catch (err) {
      // Refused for good: the number is free for the next missed call (the step is not done: a replay tries again).
      if (err instanceof RetailCrmError && !err.transient && !err.unknownOutcome) await store.forget(reserved.id);
      throw err;
    }
    await store.opened(reserved.id, id, who.performerId);
    log.info({ taskId: id, performerId: who.performerId, source: who.source }, 'missed-call task created');
  });
  if (flags.nobody) {
    Object.assign(r, {
      outcome: 'skipped',
      reason: 'no performer: no responsible manager, no user mapped to the first extension, no fallback user',
    });
    return;
  }
  if (r.outcome === 'unknown' || r.outcome === 'already_done') await settle(x);
}

/**
 * After a task:missed performed (or maybe performed) by an earlier attempt: the call's reservation still
 * "creating" gets the task's id from the journal when RetailCRM answered, else frees the number (the task,
 * if RetailCRM has it, stays for the manager; its id is unknown, so no callback can complete it).
 */
async function settle(x: TaskStepContext): Promise<void> {
  const { s, b, store } = x;
  const mine = await store.createdBy(s.enterprise, b.call.callId);
  const settled = mine.some((r) => r.status !== 'creating');
  for (const row of mine.filter((r) => r.status === 'creating')) {
    const id = settled ? undefined : await store.createdTaskId(s.enterprise, b.call.callId);
    if (settled) await store.forget(row.id);
    else if (id === undefined) await store.lost(row.id);
    else await store.opened(row.id, id, null);
  }
}

/** The responsible manager and the customer of the number (telephony/manager?details=1), journalled off-step. */
async function responsible(
  app: FastifyInstance,
  s: RetailCrmSettings,
  b: CallEventBody,
  log: FastifyBaseLogger,
): Promise<{ managerId?: number; customerId?: number }> {
  try {
    const res = await lookupNumber(app, s, b);
    return { managerId: crmId(res.manager?.id), customerId: crmId(res.customer?.id) };
  } catch (err) {
    // RetailCRM unavailable: retried with the step (503). Refused (e.g. no telephony_read): the task
    // still goes to the extension's manager or the fallback user.
    if (err instanceof RetailCrmError && err.transient) throw err;
    log.warn({ err }, 'telephony/manager refused; the task goes to the mapped or fallback user');
    return {};
  }
}

async function callback(x: TaskStepContext, key: string): Promise<void> {
  const { s, b, store } = x;
  const call = b.call;
  const cur = await store.current(s.enterprise, key);
  const first = cur ? Math.min(...cur.calls.map((c) => c.at)) : 0;
  // Only a call after the first missed one answers it (a late hangup of an earlier call does not).
  if (cur?.status !== 'open' || (call.answeredAt ?? call.startedAt) < first) {
    if (!(await x.app.rcrmSteps.anyDone(s.enterprise, call.callId, [TASK_STEPS.callback])))
      x.steps.push({
        step: TASK_STEPS.callback,
        outcome: 'skipped',
        reason: 'no open missed-call task for the number',
      });
    else x.steps.push({ step: TASK_STEPS.callback, outcome: 'already_done' });
    return;
  }
  await x.run(TASK_STEPS.callback, 'task.edit', async (c) => {
    const state = await taskState(c, cur.taskId!);
    if (state === 'open') {
      try {
        await c.editTask(cur.taskId!, { complete: true, commentary: callbackCommentary(call, s) });
        await store.close(cur.id, 'callback', call.callId);
        return;
      } catch (err) {
        if (!isCrmNotFound(err)) throw err;
      }
    }
    // Closed or deleted by a manager in RetailCRM (or completed by our attempt cut by a kill): left alone.
    await store.close(cur.id, state === 'complete' ? 'closed_in_crm' : 'deleted_in_crm', null);
  });
}
