// The customer:create step of a customer call's hangup (issue 14, opt-in per enterprise): a client number
// RetailCRM does not know becomes a customer, once per number. It runs after the history record and
// before the missed-call task steps, so a task of the same call names the new customer.
//  - The number is claimed in retailcrm_created_customers (sql/160) by the first call that needs it; any
//    other call of the number finds the claim and does nothing.
//  - RetailCRM is asked first (telephony/manager?details=1 matches every spelling of a stored phone): a
//    known number is recorded as 'exists' and nothing is created.
//  - customers/create has no idempotency key, so after an attempt without an answer it is never sent
//    again (the step is not repeatable; the claim stays 'creating'): a missing customer is better than two.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { RetailCrmError } from '@fleet/retailcrm-client';
import type { CallEventBody } from '@fleet/call-event';
import type { Sql } from '@fleet/db';
import { internationalNumber, nationalNumber } from '@fleet/validate/national-number';
import type { RetailCrmSettings } from '../domain/settings.ts';
import type { RunStep } from '../tasks/steps.ts';
import type { StepReport } from '../routes/call-event.ts';
import { crmId, lookupNumber } from '../tasks/number-lookup.ts';

export const CUSTOMER_STEP = 'customer:create';

export interface CustomerStepContext {
  app: FastifyInstance;
  s: RetailCrmSettings;
  b: CallEventBody;
  run: RunStep;
  steps: StepReport[];
  log: FastifyBaseLogger;
}

/** Creates the call's client in RetailCRM when the enterprise opted in and RetailCRM does not know the number. */
export async function customerStep(x: CustomerStepContext): Promise<void> {
  const { app, s, b, steps } = x;
  if (!s.createCustomers) return;
  const call = b.call;
  const key = nationalNumber(call.phone);
  const phone = internationalNumber(call.phone);
  if (key.length < 6 || !phone) {
    steps.push({ step: CUSTOMER_STEP, outcome: 'skipped', reason: 'no client number' });
    return;
  }
  if (await app.rcrmSteps.anyDone(s.enterprise, call.callId, [CUSTOMER_STEP])) {
    steps.push({ step: CUSTOMER_STEP, outcome: 'already_done' });
    return;
  }
  const mine = await claim(app.sql, s.enterprise, key, call.callId);
  if (!mine) {
    steps.push({ step: CUSTOMER_STEP, outcome: 'skipped', reason: 'the number is handled by another call' });
    return;
  }
  let known: number | undefined;
  try {
    known = await knownCustomer(x);
  } catch (err) {
    // Unavailable: the whole hangup is retried later (503), the claim kept for this call. Refused (e.g.
    // no telephony_read): whether RetailCRM knows the number cannot be told, so nothing is created.
    if (err instanceof RetailCrmError && err.transient) throw err;
    await app.sql`delete from retailcrm_created_customers
                  where enterprise = ${s.enterprise} and phone_key = ${key} and status = 'creating'`;
    steps.push({ step: CUSTOMER_STEP, outcome: 'skipped', reason: 'RetailCRM refused the number lookup' });
    return;
  }
  if (known !== undefined) {
    await record(app.sql, s.enterprise, key, 'exists', known);
    steps.push({ step: CUSTOMER_STEP, outcome: 'skipped', reason: 'RetailCRM knows the number' });
    return;
  }
  await x.run(CUSTOMER_STEP, 'customer.create', async (c) => {
    try {
      const { id } = await c.createCustomer({ phones: [{ number: phone }] });
      await record(app.sql, s.enterprise, key, 'created', id);
      x.log.info({ customerId: id }, 'customer created for an unknown number');
    } catch (err) {
      // Refused for good (and certainly not performed): the number is free for a later call.
      if (err instanceof RetailCrmError && !err.transient && !err.unknownOutcome)
        await app.sql`delete from retailcrm_created_customers
                      where enterprise = ${s.enterprise} and phone_key = ${key} and status = 'creating'`;
      throw err;
    }
  });
}

/** True when this call holds the number's claim (new, or its own from an earlier attempt). */
async function claim(sql: Sql, enterprise: string, key: string, callId: string): Promise<boolean> {
  const [row] = await sql<{ created_by: string; status: string }[]>`
    with ins as (
      insert into retailcrm_created_customers (enterprise, phone_key, status, created_by)
      values (${enterprise}, ${key}, 'creating', ${callId})
      on conflict (enterprise, phone_key) do nothing
      returning created_by, status)
    select created_by, status from ins
    union all
    select created_by, status from retailcrm_created_customers
    where enterprise = ${enterprise} and phone_key = ${key} and not exists (select 1 from ins)`;
  return row?.created_by === callId && row.status === 'creating';
}

async function record(sql: Sql, enterprise: string, key: string, status: 'exists' | 'created', id: number) {
  await sql`update retailcrm_created_customers set status = ${status}, customer_id = ${id}, updated_at = now()
            where enterprise = ${enterprise} and phone_key = ${key}`;
}

/** The customer RetailCRM has for the number (any spelling); transient errors retry the hangup. */
async function knownCustomer(x: CustomerStepContext): Promise<number | undefined> {
  return crmId((await lookupNumber(x.app, x.s, x.b)).customer?.id);
}
