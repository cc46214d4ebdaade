// Tier 2: the journal of every request to and response from RetailCRM (integration_logs). Each attempt
// is written before it is sent (state 'sent') and completed with its answer (state 'done'), so a
// process killed mid-request still leaves the attempt on record. The client hands over attempts
// without the API key; the key is also scrubbed here in case a caller put it in a field, because a
// journal outlives every secret rotation.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { CrmAttempt, CrmExchange } from '@fleet/retailcrm-client';

export type LogKind =
  | 'call.event'
  | 'calls.upload'
  | 'task.create'
  | 'task.edit'
  | 'telephony.manager'
  | 'customer.create';

export interface ExchangeContext {
  enterprise: string;
  kind: LogKind;
  callId: string;
  phone: string;
  apiKey: string;
  /**
   * The call step (retailcrm_call_steps) these attempts perform: the first attempt's journal row and the
   * step's claim are written in ONE statement (one commit before the request leaves, not two). When the
   * step is not ours (done, or leased by a running request) nothing is written and begin rejects with
   * StepNotClaimedError. A step that is not `repeatable` (call/event: no idempotency key at RetailCRM)
   * is not claimed again once an attempt of it succeeded or has no answer on record.
   */
  step?: { name: string; leaseMs: number; repeatable: boolean };
}

/** begin() of a step's first attempt found the step done or leased elsewhere: the attempt was not sent. */
export class StepNotClaimedError extends Error {
  constructor(readonly step: string) {
    super(`step ${step} is done or in progress elsewhere`);
  }
}

/** The journal of one client's attempts (one per step run): begin before sending, complete after. */
export interface AttemptJournal {
  /** Whether this journal claimed its step (ctx.step) with its first attempt. */
  readonly claimed: boolean;
  /** Writes the 'sent' row. Rejects when it cannot be written: the attempt must then not be sent. */
  begin(a: CrmAttempt): Promise<void>;
  /** Completes the attempt's row with the answer (or inserts it when begin was never called). Never rejects. */
  complete(x: CrmExchange): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    rcrmLogs: { journal(ctx: ExchangeContext): AttemptJournal };
  }
}

/** Shown for an attempt with no answer on record: still in flight, or its process stopped. */
export const NO_ANSWER =
  'RCRM_NO_ANSWER: sent; no answer recorded (in flight, or the process stopped before the answer)';

export const integrationLogsPlugin = fp(
  async (app: FastifyInstance) => {
    const sql = app.sql;
    app.decorate('rcrmLogs', {
      journal(ctx: ExchangeContext): AttemptJournal {
        const scrub = (s: string) => s.split(ctx.apiKey).join('[redacted]');
        const scrubbed = (r: Record<string, unknown>) => JSON.parse(scrub(JSON.stringify(r))) as Record<string, never>;
        /** attemptId → the row begun for it. */
        const rows = new Map<string, string>();
        let claimed = false;
        return {
          get claimed() {
            return claimed;
          },
          async begin(a) {
            const values = sql`
              select ${ctx.enterprise}, 'retailcrm', ${ctx.kind}, ${ctx.callId}, ${ctx.phone}, ${a.method}, ${scrub(a.url)},
                     ${sql.json(scrubbed(a.request))}::jsonb, false, ${NO_ANSWER}, 'sent', ${ctx.step?.name ?? null}::text`;
            const columns = sql`(enterprise, integration, kind, call_id, phone, method, url, request, ok, error, state, step)`;
            const step = claimed ? undefined : ctx.step;
            const [row] = step
              ? await sql<{ id: string }[]>`
                  with claim as (
                    insert into retailcrm_call_steps (enterprise, call_id, step, status, lease_until)
                    values (${ctx.enterprise}, ${ctx.callId}, ${step.name}, 'running', now() + ${step.leaseMs} * interval '1 millisecond')
                    on conflict (enterprise, call_id, step) do update
                      set status = 'running', lease_until = excluded.lease_until, updated_at = now()
                      where retailcrm_call_steps.status <> 'done' and retailcrm_call_steps.lease_until < now()
                        and (${step.repeatable} or not exists (
                          select 1 from integration_logs l
                          where l.enterprise = ${ctx.enterprise} and l.call_id = ${ctx.callId} and l.step = ${step.name}
                            and (l.state = 'sent' or l.ok)))
                    returning step)
                  insert into integration_logs ${columns} ${values} from claim
                  returning id::text`
              : await sql<{ id: string }[]>`insert into integration_logs ${columns} ${values} returning id::text`;
            if (!row) throw new StepNotClaimedError(step!.name);
            if (step) claimed = true;
            rows.set(a.attemptId, row.id);
          },
          async complete(x) {
            const id = rows.get(x.attemptId);
            rows.delete(x.attemptId);
            const response = x.response === undefined ? null : scrub(x.response);
            const error = x.error ? scrub(`${x.error.code}: ${x.error.message}`) : null;
            try {
              if (id !== undefined) {
                await sql`
                  update integration_logs
                  set status_code = ${x.status ?? null}, response = ${response}, ok = ${x.ok}, error = ${error},
                      latency_ms = ${x.latencyMs}, state = 'done'
                  where id = ${id}`;
              } else {
                await sql`
                  insert into integration_logs
                    (enterprise, integration, kind, call_id, phone, method, url, request, status_code, response, ok, error, latency_ms)
                  values
                    (${ctx.enterprise}, 'retailcrm', ${ctx.kind}, ${ctx.callId}, ${ctx.phone}, ${x.method}, ${scrub(x.url)},
                     ${sql.json(scrubbed(x.request))}, ${x.status ?? null}, ${response}, ${x.ok}, ${error}, ${x.latencyMs})`;
              }
            } catch (err) {
              // The journal must not turn a delivered event into a failure (and a duplicate on retry);
              // the row stays 'sent' (outcome unknown), which is what the journal can still say.
              app.log.warn({ err, enterprise: ctx.enterprise, callId: ctx.callId }, 'integration_logs write failed');
            }
          },
        };
      },
    });
  },
  { name: 'retailcrm-integration-logs', dependencies: ['retailcrm-core'] },
);
