// Tier 2: the service's own idempotency. Each side effect at RetailCRM is a step of a call in
// retailcrm_call_steps, claimed with a lease in the same statement that journals its first attempt
// (plugins/integration-logs.ts: one commit before the request leaves): a concurrent retry of the same
// request finds the step running (409, the dispatcher retries after the lease), a later retry finds it
// done (skipped), and a step whose worker crashed becomes claimable again when its lease runs out.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { RetailCrmError } from '@fleet/retailcrm-client';
import { StepInProgressError } from '../errors.ts';
import { StepNotClaimedError, type AttemptJournal } from './integration-logs.ts';

/** done: performed now; already_done: an earlier request did; unknown: sent, outcome unknown, not repeated. */
export type StepOutcome = 'done' | 'already_done' | 'unknown';

export interface StepKey {
  enterprise: string;
  callId: string;
  step: string;
}

export interface StepStore {
  /**
   * Runs `action`, whose first CRM attempt claims the step through `journal` (begun with ctx.step);
   * marks the step done when `action` resolves, releases the claim when it throws (and rethrows).
   * 'already_done' when the claim found the step done. A step that is not `repeatable` (call/event)
   * whose attempt may have been performed (RetailCrmError.unknownOutcome, or an earlier attempt left
   * without an answer by a kill) is marked done as 'unknown' instead of being sent again.
   * With `o.deferDone`, the done mark of a step performed now is handed to it instead of awaited: the
   * caller's next step then leaves without waiting for this commit, and the caller awaits the mark
   * before it answers (a kill in between leaves the step running with its attempt answered or not on
   * record, which the next claim reads as performed or unknown: not sent again either way).
   * @throws StepInProgressError (409) when another request holds the lease.
   */
  run(
    key: StepKey,
    journal: AttemptJournal,
    action: () => Promise<void>,
    o: { repeatable: boolean; deferDone?: (mark: Promise<void>) => void },
  ): Promise<StepOutcome>;
  /**
   * True when any of `steps` of the call is done (e.g. the hangup, to leave a late dial alone), or any
   * step whose name starts with `prefix` (e.g. 'event:dial:', whether the call ever got a popup).
   */
  anyDone(enterprise: string, callId: string, steps: string[], prefix?: string): Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyInstance {
    rcrmSteps: StepStore;
  }
}

export const stepsPlugin = fp(
  async (app: FastifyInstance) => {
    const sql = app.sql;
    const leaseMs = app.rcrmConfig.RETAILCRM_STEP_LEASE_MS;

    /**
     * Why a claim failed: the step is done; or its lease ran out after an attempt that succeeded
     * ('performed') or has no answer on record ('unknown'): not to be sent again; or it is leased by a
     * request still running (its lease left, ms).
     */
    async function holder(k: StepKey): Promise<'done' | 'performed' | 'unknown' | { runningForMs: number }> {
      const [row] = await sql<{ status: string; ms: number | null; ok: boolean | null; sent: boolean | null }[]>`
        select s.status, (extract(epoch from (s.lease_until - now())) * 1000)::int as ms,
               bool_or(l.ok) as ok, bool_or(l.state = 'sent') as sent
        from retailcrm_call_steps s
        left join integration_logs l on l.enterprise = s.enterprise and l.call_id = s.call_id and l.step = s.step
        where s.enterprise = ${k.enterprise} and s.call_id = ${k.callId} and s.step = ${k.step}
        group by s.status, s.lease_until`;
      if (!row || row.status === 'done') return 'done';
      const ms = Math.max(0, row.ms ?? 0);
      if (ms === 0 && row.ok) return 'performed';
      if (ms === 0 && row.sent) return 'unknown';
      return { runningForMs: ms };
    }

    /**
     * The CRM already performed the step: losing the mark now (a PostgreSQL restart) would let the
     * step run again once the lease expires — a second popup close at RetailCRM, whose call/event has
     * no idempotency key (found by the fault suite). So keep trying while this process still holds the
     * lease; retries of the request meanwhile get 409.
     */
    async function markDone(k: StepKey): Promise<void> {
      const until = Date.now() + Math.max(1000, leaseMs - 1000);
      for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
        try {
          await sql`
            insert into retailcrm_call_steps (enterprise, call_id, step, status)
            values (${k.enterprise}, ${k.callId}, ${k.step}, 'done')
            on conflict (enterprise, call_id, step) do update set status = 'done', lease_until = null, updated_at = now()`;
          return;
        } catch (err) {
          if (Date.now() + delay > until) throw err;
          app.log.warn(
            { enterprise: k.enterprise, callId: k.callId, step: k.step, err },
            'step done but not yet recorded; retrying',
          );
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    }

    app.decorate('rcrmSteps', {
      async run(k, journal, action, o) {
        try {
          await action();
        } catch (err) {
          if (
            err instanceof RetailCrmError &&
            err.code === 'RCRM_NOT_SENT' &&
            err.cause instanceof StepNotClaimedError
          ) {
            const h = await holder(k);
            if (h === 'done') return 'already_done';
            if (h === 'performed' || h === 'unknown') {
              await markDone(k);
              return h === 'performed' ? 'already_done' : 'unknown';
            }
            throw Object.assign(new StepInProgressError(k.step, k.callId), {
              details: { step: k.step, retry_after: Math.max(1, Math.ceil(Math.min(h.runningForMs, 30_000) / 1000)) },
            });
          }
          // Sent and maybe performed: RetailCRM would perform it again (call/event), so it is not repeated.
          if (journal.claimed && !o.repeatable && err instanceof RetailCrmError && err.unknownOutcome) {
            await markDone(k);
            return 'unknown';
          }
          // Let the next retry claim it at once rather than after the lease.
          if (journal.claimed) {
            await sql`
              delete from retailcrm_call_steps
              where enterprise = ${k.enterprise} and call_id = ${k.callId} and step = ${k.step} and status = 'running'`;
          }
          throw err;
        }
        if (o.deferDone) o.deferDone(markDone(k));
        else await markDone(k);
        return 'done';
      },
      async anyDone(enterprise, callId, steps, prefix) {
        const rows = await sql`
          select 1 from retailcrm_call_steps
          where enterprise = ${enterprise} and call_id = ${callId} and status = 'done'
            and (step = any(${steps}::text[]) or (${prefix ?? null}::text is not null and starts_with(step, ${prefix ?? ''})))
          limit 1`;
        return rows.length > 0;
      },
    } satisfies StepStore);
  },
  { name: 'retailcrm-steps', dependencies: ['retailcrm-core'] },
);
