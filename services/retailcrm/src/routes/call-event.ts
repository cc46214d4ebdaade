// POST /internal/retailcrm/call-event: the gateway forwards one call event (dial or hangup) and waits
// for our answer; we tell RetailCRM about it, once. dial → popup (call/event in|out); hangup → the popup
// it never got, if no dial of the call was performed (a dial refused or lost on the way), then popup end
// (call/event hangup), THEN the history record (calls/upload). Each is a step in retailcrm_call_steps:
// what is done is skipped when the dispatcher retries the whole event. After the history record, the
// missed-call task steps when the enterprise switched them on (tasks/steps.ts, issue 14).
import type { FastifyInstance, FastifyBaseLogger } from 'fastify';
import { RetailCrmError, type CallEvent, type RetailCrmClient } from '@fleet/retailcrm-client';
import { audienceOf, dialEvent, hangupEvent, historyRecord } from '../domain/crm-requests.ts';
import type { RetailCrmSettings } from '../domain/settings.ts';
import { NotCustomerCallError, UpstreamRejectedError, UpstreamUnavailableError } from '../errors.ts';
import type { LogKind } from '../plugins/integration-logs.ts';
import { callEventBodySchema, type CallEventBody } from '@fleet/call-event';
import { loopbackOnly } from './loopback-only.ts';
import { taskSteps } from '../tasks/steps.ts';
import { customerStep } from '../customers/step.ts';
import { createMissedTaskStore } from '../tasks/store.ts';

/** The popup a hangup opens first when no dial of its call was performed (its audience: call.ringing). */
export const SYNTHETIC_DIAL_STEP = 'event:dial:synthetic';

export type StepReport =
  | { step: string; outcome: 'done' | 'already_done' }
  | { step: string; outcome: 'unknown'; reason: string }
  | { step: string; outcome: 'skipped' | 'superseded'; reason: string }
  | { step: string; outcome: 'rejected'; errorMsg: string };

/** 200 body. Errors are { statusCode, code, error, message, ...details } (see app.ts). */
export interface CallEventReply {
  status: 'ok';
  steps: StepReport[];
}

/**
 * Whether a step's request may be sent again after an attempt with an unknown outcome: call/event and
 * tasks/create and customers/create have no idempotency key at RetailCRM (a second popup, task or customer);
 * the others do or set fields.
 */
const REPEATABLE: Record<LogKind, boolean> = {
  'call.event': false,
  'calls.upload': true,
  'task.create': false,
  'task.edit': true,
  'telephony.manager': true,
  'customer.create': false,
};

export default async function callEventRoutes(app: FastifyInstance): Promise<void> {
  const missedTasks = createMissedTaskStore(app.sql);
  app.post<{ Body: CallEventBody }>(
    '/internal/retailcrm/call-event',
    { schema: { body: callEventBodySchema }, onRequest: loopbackOnly },
    async (request): Promise<CallEventReply> => {
      const b = request.body;
      const call = b.call;
      const log = request.log.child({ enterprise: b.enterprise, callId: call.callId });
      if (call.kind !== 'customer' || call.direction === 'internal') throw new NotCustomerCallError(call.callId);
      const hasPhone = call.phone.trim() !== '';
      // Independent reads in parallel: one round trip less on every popup's path. A dial after the
      // call's end is superseded (it would reopen a closed popup); a hangup with no dial performed gets one.
      const [s, ended, dialed] = await Promise.all([
        app.rcrmEnterprises.retailCrmSettings(b.enterprise),
        b.event_type === 'dial' && hasPhone
          ? app.rcrmSteps.anyDone(b.enterprise, call.callId, ['event:hangup', 'upload'])
          : false,
        b.event_type === 'hangup' && hasPhone
          ? app.rcrmSteps.anyDone(b.enterprise, call.callId, [], 'event:dial:')
          : true,
      ]);
      const steps: StepReport[] = [];
      // Each step's done mark and journal answer, awaited before we answer rather than before the next
      // step leaves: the popup's end is followed by the history record one commit sooner.
      const marks: Promise<void>[] = [];
      const run = stepRunner(app, s, b, steps, log, marks);
      const runSteps = async (): Promise<void> => {
        // A popup's answer may name extensions or users RetailCRM lacks (mapping drift, issue 14 item 4).
        const popup = (ev: CallEvent) => async (c: RetailCrmClient) =>
          app.rcrmDrift.note(s.enterprise, call.callId, await c.callEvent(ev));

        if (b.event_type === 'dial') {
          const step = `event:dial:${b.dedup_key}`;
          const audience = audienceOf(b.new_extensions ?? [], s);
          if (!call.phone.trim()) steps.push({ step, outcome: 'skipped', reason: 'no client phone' });
          else if (ended) {
            steps.push({ step, outcome: 'superseded', reason: 'the call already ended at the CRM' });
          } else if (audience.codes.length === 0)
            steps.push({ step, outcome: 'skipped', reason: 'no extensions to show the popup to' });
          else await run(step, 'call.event', popup(dialEvent(call, audience)));
        } else {
          const audience = audienceOf(call.ringing, s);
          if (!call.phone.trim()) {
            steps.push({ step: 'event:hangup', outcome: 'skipped', reason: 'no client phone' });
            steps.push({ step: 'upload', outcome: 'skipped', reason: 'no client phone (RetailCRM requires one)' });
          } else {
            // A popup that never opened needs no end; the history record is still written.
            if (audience.codes.length === 0)
              steps.push({ step: 'event:hangup', outcome: 'skipped', reason: 'nobody rang' });
            else {
              if (!dialed) await run(SYNTHETIC_DIAL_STEP, 'call.event', popup(dialEvent(call, audience)));
              await run('event:hangup', 'call.event', popup(hangupEvent(call, audience)));
            }
            await run('upload', 'calls.upload', (c) => c.uploadCalls([historyRecord(call, s, b.record_url)]));
            await customerStep({ app, s, b, run, steps, log });
            await taskSteps({ app, s, b, run, steps, store: missedTasks, log });
          }
        }
      };
      let failure: { err: unknown } | undefined;
      try {
        await runSteps();
      } catch (err) {
        failure = { err };
      }
      await settleMarks(marks, log, failure === undefined);
      if (failure) throw failure.err;
      const rejected = steps.find((x) => x.outcome === 'rejected');
      if (rejected)
        throw Object.assign(new UpstreamRejectedError(rejected.errorMsg), {
          details: { errorMsg: rejected.errorMsg, steps },
        });
      log.info({ event: b.event_type, steps }, 'delivered to RetailCRM');
      return { status: 'ok', steps };
    },
  );
}

/**
 * Waits for the steps' done marks and journal answers. A mark that could not be written fails the
 * request (the gateway retries; the step's claim then finds it performed), unless the request already
 * failed for another reason, which is the one reported.
 */
async function settleMarks(marks: Promise<void>[], log: FastifyBaseLogger, rethrow: boolean): Promise<void> {
  const results = await Promise.allSettled(marks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return;
  log.warn({ err: failed.reason }, 'a step done at RetailCRM could not be recorded');
  if (rethrow) throw failed.reason;
}

/**
 * Runs one step through the step store. A permanent CRM refusal is recorded and the next step still
 * runs (a refused popup end must not cost the call its history record); a transient failure stops
 * here with 503 so the gateway retries the whole request later, skipping what is done.
 */
function stepRunner(
  app: FastifyInstance,
  s: RetailCrmSettings,
  b: CallEventBody,
  steps: StepReport[],
  log: FastifyBaseLogger,
  marks: Promise<void>[],
) {
  return async (step: string, kind: LogKind, action: (c: RetailCrmClient) => Promise<unknown>): Promise<StepReport> => {
    const report = (r: StepReport) => {
      steps.push(r);
      return r;
    };
    // Each attempt is journalled before it leaves (a kill mid-request still leaves it on record); its
    // answer is written off the step's path (that commit overlaps the step's "done" commit instead of
    // preceding it), one after the other, and awaited before we answer. complete() never rejects.
    const attempts = app.rcrmLogs.journal({
      enterprise: s.enterprise,
      kind,
      callId: b.call.callId,
      phone: b.call.phone,
      apiKey: s.apiKey,
      step: { name: step, leaseMs: app.rcrmConfig.RETAILCRM_STEP_LEASE_MS, repeatable: REPEATABLE[kind] },
    });
    let journal: Promise<void> = Promise.resolve();
    const client = app.rcrmClients.clientFor(
      s.origin,
      s.apiKey,
      (x) => {
        journal = journal.then(() => attempts.complete(x));
        return Promise.resolve();
      },
      (a) => attempts.begin(a),
    );
    try {
      const outcome = await app.rcrmSteps
        .run(
          { enterprise: s.enterprise, callId: b.call.callId, step },
          attempts,
          async () => {
            await action(client);
          },
          { repeatable: REPEATABLE[kind], deferDone: (mark) => void marks.push(mark) },
        )
        .finally(() => void marks.push(journal));
      if (outcome === 'unknown') {
        // RetailCRM may have shown (or closed) the popup: a repeat could do it twice, so it is not sent
        // again; the journal shows the attempt without an answer.
        log.warn({ step }, `${kind} outcome unknown (sent, no answer); not repeated`);
        return report({
          step,
          outcome,
          reason: 'sent without an answer; RetailCRM may have performed it, so it is not repeated',
        });
      }
      return report({ step, outcome });
    } catch (err) {
      if (!(err instanceof RetailCrmError)) throw err;
      if (!err.transient) {
        log.warn(
          { step, code: err.code, status: err.status, errorMsg: err.errorMsg, errors: err.errors },
          'RetailCRM refused the step',
        );
        return report({ step, outcome: 'rejected', errorMsg: err.errorMsg ?? err.message });
      }
      log.warn({ step, code: err.code, status: err.status }, 'RetailCRM unavailable');
      const retryAfter = err.retryAfterMs === undefined ? undefined : Math.ceil(err.retryAfterMs / 1000);
      throw Object.assign(new UpstreamUnavailableError(`${err.code}: ${err.message}`), {
        details: { reason: err.code, step, steps, ...(retryAfter === undefined ? {} : { retry_after: retryAfter }) },
      });
    }
  };
}
